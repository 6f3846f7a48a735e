import type { protos } from '@google-cloud/container';
import { status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { validateCreateRequest } from './create-request.js';
import { GkeApiError, invalidArgument, notFound } from './errors.js';
import type { Faults, OperationFailure } from './faults.js';
import {
  apiUrl, assertGkeName, clusterPath, inLocation, operationPath, parseClusterName, parseLocationName, parseNodePoolName, parseOperationName,
  type ClusterName,
} from './resource-names.js';

type v1 = typeof protos.google.container.v1;
type Cluster = protos.google.container.v1.ICluster;
type NodePool = protos.google.container.v1.INodePool;
type Operation = protos.google.container.v1.IOperation;
type ClusterStatus = keyof v1['Cluster']['Status'];
type NodePoolStatus = keyof v1['NodePool']['Status'];
type OperationStatus = keyof v1['Operation']['Status'];
type OperationType = 'CREATE_CLUSTER' | 'DELETE_CLUSTER' | 'SET_NODE_POOL_SIZE' | 'CREATE_NODE_POOL';
// gRPC's status names are google.rpc.Code's.
type RpcCodeName = keyof typeof protos.google.rpc.Code;

/** The real Kubernetes API server every simulated cluster points at once it is RUNNING. */
export interface KubernetesApi {
  /** host or host:port, reported as the cluster's `endpoint` (GKE reports a bare IP, port 443). */
  endpoint: string;
  /** its CA certificate; GKE reports it base64-encoded in `masterAuth.clusterCaCertificate`. */
  caCertificatePem: string;
}

export interface StateOptions {
  operationMs: number;
  /** Each operation lasts operationMs plus a random share of this, as GKE's vary. */
  operationJitterMs: number;
  kubernetes: KubernetesApi;
  faults: Faults;
  log: (fields: Record<string, unknown>, message: string) => void;
}

interface TrackedOperation {
  readonly id: string;
  readonly type: OperationType;
  readonly cluster: ClusterName;
  readonly startedAt: number;
  readonly durationMs: number;
  /** An injected fault, decided when the operation starts and reported when it ends. */
  readonly plannedFailure: OperationFailure | undefined;
  /** Node pool operations: the pool, and the size a resize sets. */
  readonly nodePool?: string;
  readonly nodeCount?: number;
  endedAt?: number;
  error?: OperationFailure;
}

interface TrackedCluster {
  readonly name: ClusterName;
  readonly resource: Cluster;
  /** The create or delete under way: GKE refuses to delete a cluster while one runs. */
  busyWith?: TrackedOperation;
}

// How GKE words what a busy cluster is doing when it refuses another operation.
const doing: Record<OperationType, string> = {
  CREATE_CLUSTER: 'creating cluster', DELETE_CLUSTER: 'deleting cluster', SET_NODE_POOL_SIZE: 'resizing a node pool of cluster', CREATE_NODE_POOL: 'creating a node pool in cluster',
};

// GKE operations are PENDING only briefly before they run.
const pendingShare = 0.1;
const cancelled: OperationFailure = { code: status.CANCELLED, message: 'Operation was cancelled.' };

const iso = (ms: number): string => new Date(ms).toISOString();

function alreadyExists(path: string): GkeApiError {
  return new GkeApiError(status.ALREADY_EXISTS, `Already exists: ${path}.`);
}

/** As GKE does, a cluster asked for with `initialNodeCount` and no node pools gets one named default-pool. */
function requestedNodePools(requested: Cluster, selfLink: string): NodePool[] {
  const pools: NodePool[] = requested.nodePools?.length
    ? structuredClone(requested.nodePools)
    : [{ name: 'default-pool', initialNodeCount: requested.initialNodeCount ?? null, config: structuredClone(requested.nodeConfig ?? null) }];
  return pools.map((pool) => ({ ...pool, selfLink: `${selfLink}/nodePools/${pool.name ?? ''}`, status: 'PROVISIONING' }));
}

function setStatus(cluster: Cluster, clusterStatus: ClusterStatus, nodePoolStatus: NodePoolStatus): void {
  cluster.status = clusterStatus;
  for (const pool of cluster.nodePools ?? []) pool.status = nodePoolStatus;
}

/**
 * The simulated clusters and their operations. Time is not driven by timers: each call first
 * settles the operations whose duration has elapsed, so nothing is left running when the server
 * stops and every answer reflects the time of the call.
 */
export class ClusterManagerState {
  private readonly clusters = new Map<string, TrackedCluster>();
  /** In start order. */
  private readonly operations = new Map<string, TrackedOperation>();

  constructor(private readonly options: StateOptions) {}

  createCluster(request: protos.google.container.v1.ICreateClusterRequest): Operation {
    const { name, cluster } = validateCreateRequest(request);
    const path = clusterPath(name);
    const rejection = this.options.faults.takeCreateRejection();
    if (rejection) throw new GkeApiError(rejection.code, rejection.message(path));
    const now = this.settle();
    if (this.clusters.has(path)) throw alreadyExists(path);
    const operation = this.startOperation('CREATE_CLUSTER', name, now, this.options.faults.takeOperationFailure());
    this.clusters.set(path, { name, resource: this.provisioningCluster(name, cluster, now), busyWith: operation });
    this.options.log({ cluster: path, operation: operation.id }, 'GKE simulator: cluster PROVISIONING');
    return this.operationView(operation, now);
  }

  getCluster(request: protos.google.container.v1.IGetClusterRequest): Cluster {
    const name = parseClusterName('name', request.name);
    this.settle();
    return structuredClone(this.trackedCluster(name).resource);
  }

  listClusters(request: protos.google.container.v1.IListClustersRequest): protos.google.container.v1.IListClustersResponse {
    const parent = parseLocationName('parent', request.parent);
    this.settle();
    const clusters = [...this.clusters.values()].filter((tracked) => inLocation(tracked.name, parent));
    return { clusters: clusters.map((tracked) => structuredClone(tracked.resource)), missingZones: [] };
  }

  deleteCluster(request: protos.google.container.v1.IDeleteClusterRequest): Operation {
    const name = parseClusterName('name', request.name);
    const now = this.settle();
    const tracked = this.trackedCluster(name);
    this.assertIdle(tracked);
    setStatus(tracked.resource, 'STOPPING', 'STOPPING');
    tracked.busyWith = this.startOperation('DELETE_CLUSTER', name, now, undefined);
    this.options.log({ cluster: clusterPath(name), operation: tracked.busyWith.id }, 'GKE simulator: cluster STOPPING');
    return this.operationView(tracked.busyWith, now);
  }

  /** GKE sets the size per zone of the pool's locations; the simulator's clusters have one. */
  setNodePoolSize(request: protos.google.container.v1.ISetNodePoolSizeRequest): Operation {
    const name = parseNodePoolName('name', request.name);
    const nodeCount = Number(request.nodeCount ?? 0);
    if (!Number.isInteger(nodeCount) || nodeCount < 0) throw invalidArgument(`Invalid value for field "node_count": ${String(request.nodeCount)}. Must not be negative.`);
    const now = this.settle();
    const tracked = this.runningCluster(name);
    const pool = this.nodePool(tracked, name.nodePool);
    this.assertIdle(tracked);
    pool.status = 'RECONCILING';
    return this.startPoolOperation(tracked, 'SET_NODE_POOL_SIZE', name.nodePool, now, nodeCount);
  }

  createNodePool(request: protos.google.container.v1.ICreateNodePoolRequest): Operation {
    const name = parseClusterName('parent', request.parent);
    const requested = request.nodePool;
    if (!requested) throw invalidArgument('Required field "node_pool" is not set.');
    const poolName = assertGkeName('node_pool.name', requested.name);
    if (Number(requested.initialNodeCount ?? 0) < 0) throw invalidArgument('Invalid value for field "node_pool.initial_node_count": must not be negative.');
    const now = this.settle();
    const tracked = this.runningCluster(name);
    if (tracked.resource.nodePools?.some((pool) => pool.name === poolName)) throw alreadyExists(`${clusterPath(name)}/nodePools/${poolName}`);
    this.assertIdle(tracked);
    tracked.resource.nodePools = [...tracked.resource.nodePools ?? [], { ...structuredClone(requested), selfLink: `${tracked.resource.selfLink ?? ''}/nodePools/${poolName}`, status: 'PROVISIONING' }];
    return this.startPoolOperation(tracked, 'CREATE_NODE_POOL', poolName, now);
  }

  getNodePool(request: protos.google.container.v1.IGetNodePoolRequest): NodePool {
    const name = parseNodePoolName('name', request.name);
    this.settle();
    return structuredClone(this.nodePool(this.trackedCluster(name), name.nodePool));
  }

  getOperation(request: protos.google.container.v1.IGetOperationRequest): Operation {
    const name = parseOperationName('name', request.name);
    const now = this.settle();
    const operation = this.operations.get(name.operation);
    if (!operation || !inLocation(operation.cluster, name)) throw notFound(operationPath(name));
    return this.operationView(operation, now);
  }

  listOperations(request: protos.google.container.v1.IListOperationsRequest): protos.google.container.v1.IListOperationsResponse {
    const parent = parseLocationName('parent', request.parent);
    const now = this.settle();
    const operations = [...this.operations.values()].filter((operation) => inLocation(operation.cluster, parent));
    return { operations: operations.map((operation) => this.operationView(operation, now)), missingZones: [] };
  }

  /** Only a running create can be cancelled: it ends DONE with a CANCELLED error and leaves its cluster in ERROR. */
  cancelOperation(request: protos.google.container.v1.ICancelOperationRequest): protos.google.protobuf.IEmpty {
    const name = parseOperationName('name', request.name);
    const now = this.settle();
    const operation = this.operations.get(name.operation);
    if (!operation || !inLocation(operation.cluster, name)) throw notFound(operationPath(name));
    if (operation.endedAt !== undefined) {
      throw new GkeApiError(status.FAILED_PRECONDITION, `Operation ${operation.id} is already DONE and cannot be cancelled.`);
    }
    if (operation.type !== 'CREATE_CLUSTER') {
      throw new GkeApiError(status.FAILED_PRECONDITION, `Operation ${operation.id} of type ${operation.type} cannot be cancelled.`);
    }
    this.endOperation(operation, now, cancelled);
    return {};
  }

  /** A RUNNING cluster that exists without any operation of ours, e.g. someone else's. */
  seedCluster(path: string, resourceLabels: Record<string, string>): void {
    const name = parseClusterName('path', path);
    assertGkeName('cluster name', name.cluster);
    const now = this.settle();
    if (this.clusters.has(path)) throw alreadyExists(path);
    const resource = this.provisioningCluster(name, { name: name.cluster, initialNodeCount: 1, resourceLabels }, now);
    this.markRunning(resource);
    this.clusters.set(path, { name, resource });
  }

  /** GKE runs one operation at a time on a cluster and refuses others meanwhile. */
  private assertIdle(tracked: TrackedCluster): void {
    const busy = tracked.busyWith;
    if (busy) {
      throw new GkeApiError(status.FAILED_PRECONDITION,
        `Operation ${busy.id} is currently ${doing[busy.type]} ${tracked.name.cluster}. Please wait and try again once it is done.`);
    }
  }

  private runningCluster(name: ClusterName): TrackedCluster {
    const tracked = this.trackedCluster(name);
    if (tracked.resource.status !== 'RUNNING' && !tracked.busyWith) {
      throw new GkeApiError(status.FAILED_PRECONDITION, `Cluster ${name.cluster} is ${String(tracked.resource.status)}: node pools can only be changed on a RUNNING cluster.`);
    }
    return tracked;
  }

  private nodePool(tracked: TrackedCluster, poolName: string): NodePool {
    const pool = tracked.resource.nodePools?.find((candidate) => candidate.name === poolName);
    if (!pool) throw notFound(`${clusterPath(tracked.name)}/nodePools/${poolName}`);
    return pool;
  }

  private startPoolOperation(tracked: TrackedCluster, type: OperationType, nodePool: string, now: number, nodeCount?: number): Operation {
    const operation: TrackedOperation = { ...this.startOperation(type, tracked.name, now, this.options.faults.takeOperationFailure()), nodePool, ...(nodeCount !== undefined && { nodeCount }) };
    this.operations.set(operation.id, operation);
    tracked.busyWith = operation;
    tracked.resource.status = 'RECONCILING';
    this.options.log({ cluster: clusterPath(tracked.name), nodePool, operation: operation.id }, `GKE simulator: ${type}`);
    return this.operationView(operation, now);
  }

  private trackedCluster(name: ClusterName): TrackedCluster {
    const path = clusterPath(name);
    const tracked = this.clusters.get(path);
    if (!tracked) throw notFound(path);
    return tracked;
  }

  /** Ends every operation whose time is up; returns the time the caller's answer is for. */
  private settle(): number {
    const now = Date.now();
    for (const operation of this.operations.values()) {
      const endsAt = operation.startedAt + operation.durationMs;
      if (operation.endedAt === undefined && endsAt <= now) this.endOperation(operation, endsAt, operation.plannedFailure);
    }
    return now;
  }

  private startOperation(type: OperationType, cluster: ClusterName, now: number, plannedFailure: OperationFailure | undefined): TrackedOperation {
    const operation: TrackedOperation = {
      id: `operation-${now}-${randomBytes(4).toString('hex')}`, type, cluster, startedAt: now,
      durationMs: this.options.operationMs + Math.random() * this.options.operationJitterMs, plannedFailure,
    };
    this.operations.set(operation.id, operation);
    return operation;
  }

  private endOperation(operation: TrackedOperation, at: number, failure: OperationFailure | undefined): void {
    operation.endedAt = at;
    operation.error = failure;
    const path = clusterPath(operation.cluster);
    const tracked = this.clusters.get(path);
    if (!tracked) return;
    tracked.busyWith = undefined;
    const fields = { cluster: path, operation: operation.id };
    if (operation.type === 'DELETE_CLUSTER') {
      this.clusters.delete(path);
      this.options.log(fields, 'GKE simulator: cluster deleted');
    } else if (operation.nodePool !== undefined) {
      this.endPoolOperation(tracked, operation, failure);
    } else if (failure) {
      setStatus(tracked.resource, 'ERROR', 'ERROR');
      tracked.resource.statusMessage = failure.message;
      tracked.resource.conditions = [{ message: failure.message, canonicalCode: status[failure.code] as RpcCodeName }];
      this.options.log({ ...fields, error: failure }, 'GKE simulator: cluster ERROR');
    } else {
      this.markRunning(tracked.resource);
      this.options.log(fields, 'GKE simulator: cluster RUNNING');
    }
  }

  /** A failed pool operation leaves the pool in ERROR and the cluster RUNNING, as GKE's reconciliation does. */
  private endPoolOperation(tracked: TrackedCluster, operation: TrackedOperation, failure: OperationFailure | undefined): void {
    tracked.resource.status = 'RUNNING';
    const pool = tracked.resource.nodePools?.find((candidate) => candidate.name === operation.nodePool);
    if (!pool) return;
    pool.status = failure ? 'ERROR' : 'RUNNING';
    if (failure) pool.statusMessage = failure.message;
    else if (operation.nodeCount !== undefined) pool.initialNodeCount = operation.nodeCount;
    this.options.log({ cluster: clusterPath(tracked.name), nodePool: operation.nodePool, operation: operation.id, ...(failure && { error: failure }) },
      `GKE simulator: node pool ${failure ? 'ERROR' : 'RUNNING'}`);
  }

  private provisioningCluster(name: ClusterName, requested: Cluster, now: number): Cluster {
    const selfLink = apiUrl(clusterPath(name));
    return {
      ...structuredClone(requested),
      nodePools: requestedNodePools(requested, selfLink),
      resourceLabels: { ...requested.resourceLabels },
      location: name.location,
      zone: name.location,
      selfLink,
      id: randomBytes(16).toString('hex'),
      createTime: iso(now),
      status: 'PROVISIONING',
    };
  }

  private markRunning(cluster: Cluster): void {
    setStatus(cluster, 'RUNNING', 'RUNNING');
    const { endpoint, caCertificatePem } = this.options.kubernetes;
    cluster.endpoint = endpoint;
    cluster.masterAuth = { ...cluster.masterAuth, clusterCaCertificate: Buffer.from(caCertificatePem).toString('base64') };
  }

  private operationView(operation: TrackedOperation, now: number): Operation {
    const elapsed = (operation.endedAt ?? now) - operation.startedAt;
    const state: OperationStatus = operation.endedAt !== undefined ? 'DONE'
      : elapsed < operation.durationMs * pendingShare ? 'PENDING' : 'RUNNING';
    const percentDone = Math.min(100, Math.floor((elapsed * 100) / operation.durationMs));
    return {
      name: operation.id,
      zone: operation.cluster.location,
      location: operation.cluster.location,
      operationType: operation.type,
      status: state,
      selfLink: apiUrl(operationPath({ ...operation.cluster, operation: operation.id })),
      targetLink: apiUrl(`${clusterPath(operation.cluster)}${operation.nodePool !== undefined ? `/nodePools/${operation.nodePool}` : ''}`),
      startTime: iso(operation.startedAt),
      ...(operation.endedAt !== undefined && { endTime: iso(operation.endedAt) }),
      progress: { status: state, metrics: [{ name: 'percent done', intValue: percentDone }] },
      ...(operation.error && { error: { ...operation.error }, statusMessage: operation.error.message }),
    };
  }
}
