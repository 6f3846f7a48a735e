import { Server, ServerCredentials, status, type handleUnaryCall, type UntypedHandleCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loopback } from '../ports.js';
import { GkeApiError } from './errors.js';
import { Faults, type SimulatedMethod } from './faults.js';
import { loadClusterManagerService } from './proto.js';
import { ClusterManagerState, type KubernetesApi } from './state.js';

/** pino's Logger fits; the simulator logs only its own lifecycle, calls and cluster transitions. */
export interface SimulatorLogger {
  info(fields: object, message: string): void;
}

export interface GkeSimulatorOptions {
  /** The real Kubernetes API server that RUNNING clusters report as theirs. */
  kubernetes: KubernetesApi;
  /** 0 (the default): any free port. */
  port?: number;
  /** How long a create or delete takes, PENDING to DONE. Default 3 s (GKE takes minutes). */
  operationSeconds?: number;
  /** Each operation lasts up to this much longer, at random (default 0: all alike). */
  operationJitterSeconds?: number;
  logger?: SimulatorLogger;
}

/** One call as the simulator answered it. */
export interface CallRecord {
  method: string;
  /** The request's `name` or `parent`; '' when it has neither. */
  resource: string;
  code: status;
  /** The error message of a failed call. */
  message?: string;
  at: Date;
}

export interface GkeSimulator {
  readonly port: number;
  /** host:port for a gRPC client. */
  readonly address: string;
  /** Every call so far, oldest first. */
  calls(): CallRecord[];
  /** The next CreateCluster calls answer ALREADY_EXISTS, whether or not the cluster exists. */
  failNextCreateWithAlreadyExists(options?: { times?: number }): void;
  /** The next CreateCluster calls answer PERMISSION_DENIED with `message` (IAM or quota, as GKE words it). */
  failNextCreateWithPermissionDenied(message: string, options?: { times?: number }): void;
  /**
   * The next accepted CreateCluster (or node pool operation) starts normally, but its operation
   * ends DONE with `error` set (code INTERNAL unless given) and the cluster (or pool) stays in
   * ERROR: a cluster until someone deletes it.
   */
  failNextOperation(message: string, options?: { code?: status; times?: number }): void;
  /** The next `count` calls (of `method` only, if given) answer UNAVAILABLE. */
  unavailableForNextCalls(count: number, method?: SimulatedMethod): void;
  /** A RUNNING cluster `projects/P/locations/L/clusters/C` that no simulated operation created. */
  seedCluster(path: string, options?: { resourceLabels?: Record<string, string> }): void;
  /** Closes the server; no timers are left behind (the simulation keeps none). */
  stop(): Promise<void>;
}

const defaultOperationSeconds = 3;
const serviceName = 'google.container.v1.ClusterManager';

interface ResourceRequest {
  name?: string | null;
  parent?: string | null;
}

/**
 * A local fake of GKE's ClusterManager gRPC API, built from the official proto, for the real
 * `ClusterManagerClient` to talk to on 127.0.0.1. Clusters move PROVISIONING → RUNNING and
 * STOPPING → gone as their operations go PENDING → RUNNING → DONE in `operationSeconds`.
 */
export async function startGkeSimulator(options: GkeSimulatorOptions): Promise<GkeSimulator> {
  const logger = options.logger;
  const operationSeconds = options.operationSeconds ?? defaultOperationSeconds;
  if (!(operationSeconds > 0)) throw new RangeError(`operationSeconds must be positive, got ${operationSeconds}`);
  const faults = new Faults();
  const state = new ClusterManagerState({
    operationMs: operationSeconds * 1000,
    operationJitterMs: (options.operationJitterSeconds ?? 0) * 1000,
    kubernetes: options.kubernetes,
    faults,
    log: (fields, message) => logger?.info({ simulator: 'gke', ...fields }, message),
  });
  const log: CallRecord[] = [];

  const unary = <Request extends ResourceRequest, Response>(
    method: string, answer: (request: Request) => Response,
  ): handleUnaryCall<Request, Response> => (call, callback) => {
    const resource = call.request.name || call.request.parent || '';
    let response: Response;
    try {
      if (faults.takeOutage(method)) throw new GkeApiError(status.UNAVAILABLE, 'The service is currently unavailable.');
      response = answer(call.request);
    } catch (error) {
      const failure = error instanceof GkeApiError ? error : new GkeApiError(status.INTERNAL, `GKE simulator failed: ${String(error)}`);
      log.push({ method, resource, code: failure.code, message: failure.message, at: new Date() });
      logger?.info({ simulator: 'gke', method, resource, code: status[failure.code], error: failure.message }, `GKE simulator: ${method} failed`);
      callback({ code: failure.code, details: failure.message });
      return;
    }
    log.push({ method, resource, code: status.OK, at: new Date() });
    logger?.info({ simulator: 'gke', method, resource, code: 'OK' }, `GKE simulator: ${method}`);
    callback(null, response);
  };

  const implemented: Record<SimulatedMethod, UntypedHandleCall> = {
    CreateCluster: unary('CreateCluster', state.createCluster.bind(state)),
    GetCluster: unary('GetCluster', state.getCluster.bind(state)),
    ListClusters: unary('ListClusters', state.listClusters.bind(state)),
    DeleteCluster: unary('DeleteCluster', state.deleteCluster.bind(state)),
    GetOperation: unary('GetOperation', state.getOperation.bind(state)),
    ListOperations: unary('ListOperations', state.listOperations.bind(state)),
    CancelOperation: unary('CancelOperation', state.cancelOperation.bind(state)),
    SetNodePoolSize: unary('SetNodePoolSize', state.setNodePoolSize.bind(state)),
    CreateNodePool: unary('CreateNodePool', state.createNodePool.bind(state)),
    GetNodePool: unary('GetNodePool', state.getNodePool.bind(state)),
  };
  const service = loadClusterManagerService();
  // Every method gets a handler, so that unimplemented ones are logged and can be made UNAVAILABLE too.
  const implementation: UntypedServiceImplementation = {};
  const isSimulated = (method: string): method is SimulatedMethod => Object.hasOwn(implemented, method);
  for (const method of Object.keys(service)) {
    implementation[method] = isSimulated(method) ? implemented[method] : unary(method, () => {
      throw new GkeApiError(status.UNIMPLEMENTED, `Method ${serviceName}/${method} is not implemented by the GKE simulator.`);
    });
  }

  const server = new Server();
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${loopback}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  const address = `${loopback}:${port}`;
  logger?.info({ simulator: 'gke', address, operationSeconds, kubernetesEndpoint: options.kubernetes.endpoint },
    'GKE simulator listening: a local fake of the GKE API (google.container.v1.ClusterManager), not Google Cloud');

  return {
    port,
    address,
    calls: () => log.map((call) => ({ ...call })),
    failNextCreateWithAlreadyExists: ({ times = 1 } = {}) => {
      faults.rejectCreates({ code: status.ALREADY_EXISTS, message: (path) => `Already exists: ${path}.` }, times);
    },
    failNextCreateWithPermissionDenied: (message, { times = 1 } = {}) => {
      faults.rejectCreates({ code: status.PERMISSION_DENIED, message: () => message }, times);
    },
    failNextOperation: (message, { code = status.INTERNAL, times = 1 } = {}) => {
      faults.failOperations({ code, message }, times);
    },
    unavailableForNextCalls: (count, method) => faults.beUnavailable(count, method),
    seedCluster: (path, { resourceLabels = {} } = {}) => state.seedCluster(path, resourceLabels),
    stop: () => new Promise<void>((resolve, reject) => {
      server.tryShutdown((error) => {
        if (error) reject(error);
        else {
          logger?.info({ simulator: 'gke', address }, 'GKE simulator stopped');
          resolve();
        }
      });
    }),
  };
}
