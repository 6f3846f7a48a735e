import { podServiceAccountDir } from './domain/cluster.js';
import { validationError } from './domain/errors.js';
import { splitHostPort } from './domain/host-port.js';

/**
 * Every environment variable the worker, the API and the CLI read (README's Configuration table);
 * `npm start`'s own (LOCAL_*, GKE_SIMULATOR*) are not here. loadRuntimeConfig can read no other
 * (its env is typed by this list), and deploy/'s manifests may set no other (a unit test).
 */
export const configVariables = [
  'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_TLS', 'TEMPORAL_TLS_CA_FILE', 'TEMPORAL_TLS_CERT_FILE', 'TEMPORAL_TLS_KEY_FILE', 'TEMPORAL_TLS_SERVER_NAME', 'API_HOST', 'API_PORT', 'API_TOKENS_FILE', 'API_BODY_LIMIT_BYTES',
  'KUBECONFIG_LOCAL', 'KUBERNETES_IN_CLUSTER', 'KUBERNETES_SERVICE_ACCOUNT_DIR', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT',
  'SPARK_SUBMIT', 'SPARK_SUBMITTER', 'SPARK_SUBMIT_MODE', 'ORCHESTRATOR_NAMESPACE', 'KERNEL_SPECS_FILE', 'KERNEL_PROHIBITED_UIDS', 'KERNEL_PROHIBITED_GIDS', 'KERNEL_MAX_PER_USER',
  'SPARK_MAX_IN_FLIGHT_PER_USER', 'KERNEL_HISTORY_EVENT_LIMIT', 'KERNEL_RESPONSE_HOST', 'KERNEL_CULL_CONNECTED', 'WORKER_MAX_POD_WATCHES', 'CLUSTER_PRESETS_FILE', 'GKE_POLL_INTERVAL_MS',
  'WORKER_MAX_CACHED_WORKFLOWS', 'WORKER_MAX_WORKFLOW_TASKS', 'WORKER_MAX_ACTIVITIES', 'WORKER_METRICS_ADDRESS', 'WORKER_HEALTH_ADDRESS', 'JANITOR_INTERVAL_SECONDS', 'JANITOR_GRACE_SECONDS', 'CODEC_KEYS_FILE', 'CODEC_CORS_ORIGINS',
  // Read by the logger (src/logger.ts), not by loadRuntimeConfig.
  'LOG_LEVEL',
] as const;
export type ConfigVariable = (typeof configVariables)[number];
export type ConfigEnv = Partial<Record<ConfigVariable, string>>;

/** Runtime configuration of the worker, the API and the CLI, from environment variables (README). */
export interface RuntimeConfig {
  temporalAddress: string;
  /** TLS to the Temporal frontend (src/client/temporal-tls.ts reads the files); plaintext when unset. */
  temporalTls?: TemporalTls;
  temporalNamespace: string;
  taskQueue: string;
  apiHost: string;
  apiPort: number;
  /** File of API tokens (hashes and scopes); see src/api/auth.ts. */
  apiTokensFile: string;
  apiBodyLimitBytes: number;
  /**
   * How the worker reaches the built-in cluster `local`, when there is one: a kubeconfig file
   * (KUBECONFIG_LOCAL), or, in a pod, its service account's token and CA (KUBERNETES_IN_CLUSTER).
   */
  localCluster?: { kubeconfig: string } | { serviceAccountDir: string };
  /** The spark-submit launcher the worker runs when it submits with a process per job. */
  sparkSubmit: string;
  /**
   * The Spark submitter's launcher (submitter/): one JVM beside the worker makes every
   * submission. Unset when SPARK_SUBMIT_MODE is `process` (a spark-submit JVM per job).
   */
  sparkSubmitter?: string;
  /** The orchestrator's own namespace: never a target of a job or kernel. */
  orchestratorNamespace: string;
  /** JSON file of allowed kernels; the built-in catalogue when unset. */
  kernelSpecsFile?: string;
  prohibitedUids: number[];
  prohibitedGids: number[];
  /** Concurrent kernels one user may hold, across all replicas; 0 lifts the limit. */
  kernelMaxPerUser: number;
  /** Spark jobs one user may have in flight at once, across all replicas; 0 lifts the limit. */
  sparkMaxInFlightPerUser: number;
  /** A kernel session continues as new once its history has this many events. */
  kernelHistoryEventLimit: number;
  /** Where kernel pods reach the worker to send their connection information (its pod IP in a cluster). */
  kernelResponseHost?: string;
  /** Whether idle kernels with a client connected are culled too (Enterprise Gateway's `cull_connected`). */
  kernelCullConnected: boolean;
  /** Spark drivers and kernel wires one worker follows at once (each an activity on the watch task queue; a kernel's pod end is reported by the shared watch). */
  maxPodWatches: number;
  /**
   * Workflows one worker keeps in memory between their tasks (its sticky cache): what bounds its
   * memory with thousands of idle kernels; one evicted is replayed from its history when it wakes.
   */
  maxCachedWorkflows: number;
  /** Workflow tasks one worker runs at once (at most maxCachedWorkflows). */
  maxWorkflowTasks: number;
  /** Activities of the main task queue one worker runs at once (pod watches have their own slots). */
  maxActivities: number;
  /** JSON file of GKE connections, node pools and static clusters; none when unset. */
  clusterPresetsFile?: string;
  /** How often the worker reads a GKE operation it waits for. */
  gkePollMs: number;
  /** host:port where the worker serves Prometheus metrics (/metrics); none when unset. */
  workerMetricsAddress?: string;
  /** host:port where the worker answers GET /healthz (src/worker-health.ts); none when unset. */
  workerHealthAddress?: string;
  /** Seconds between two scheduled janitor sweeps; 0: no schedule (sweeps on demand only). */
  janitorIntervalSeconds: number;
  /** The janitor leaves objects younger than this alone, whatever their owner's state. */
  janitorGraceSeconds: number;
  /** JSON file of the payload codec's keys (src/codec/keys.ts); required by everything that talks to Temporal. */
  codecKeysFile: string;
  /** Browser origins (the Temporal Web UI's) allowed to call the API's codec endpoint. */
  codecCorsOrigins: string[];
}

/** TEMPORAL_TLS*: paths only; the files are read when connecting, so a missing one stops start-up. */
export interface TemporalTls {
  /** PEM of the CA that signed the frontend's certificate; the system's CAs when unset. */
  caFile?: string;
  /** Client certificate and key (mTLS), always both. */
  clientCert?: { certFile: string; keyFile: string };
  /** The name the frontend's certificate is verified against (and sent as SNI); the address's host when unset. */
  serverName?: string;
}

export const defaultCodecKeysFile = '.local/codec-keys.json';
/** A Web UI on this machine's loopback, by both names a browser may use for it (CODEC_CORS_ORIGINS). */
export const loopbackWebUiOrigins = (port: number): string => `http://127.0.0.1:${port},http://localhost:${port}`;

function idList(env: ConfigEnv, name: ConfigVariable): number[] {
  const raw = env[name] ?? '0';
  if (raw.trim() === '') return [];
  const ids = raw.split(',').map((part) => part.trim());
  if (ids.some((id) => !/^\d+$/.test(id))) throw validationError(name, `${name} must be a comma-separated list of ids, got '${raw}'`);
  return ids.map(Number);
}

function origins(env: ConfigEnv, name: ConfigVariable, fallback: string): string[] {
  const raw = env[name] ?? fallback;
  const list = raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
  // An origin is exactly what a browser sends in its Origin header: scheme, host, port; no path.
  const bad = list.find((origin) => !/^https?:\/\/[^/\s]+$/.test(origin));
  if (bad !== undefined) throw validationError(name, `${name} must be a comma-separated list of origins such as http://127.0.0.1:8233, got '${bad}'`);
  return list;
}

function integer(env: ConfigEnv, name: ConfigVariable, fallback: number, minimum = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw validationError(name, `${name} must be an integer of at least ${minimum}, got '${raw}'`);
  return value;
}

/** The SDK would lower a workflow-task count above the cache size with a mere warning: refused here. */
function workerSlots(env: ConfigEnv): Pick<RuntimeConfig, 'maxCachedWorkflows' | 'maxWorkflowTasks' | 'maxActivities'> {
  const maxCachedWorkflows = integer(env, 'WORKER_MAX_CACHED_WORKFLOWS', 1_000, 2);
  const maxWorkflowTasks = integer(env, 'WORKER_MAX_WORKFLOW_TASKS', 40, 2);
  if (maxWorkflowTasks > maxCachedWorkflows) {
    throw validationError('WORKER_MAX_WORKFLOW_TASKS', `WORKER_MAX_WORKFLOW_TASKS (${maxWorkflowTasks}) may not exceed WORKER_MAX_CACHED_WORKFLOWS (${maxCachedWorkflows})`);
  }
  return { maxCachedWorkflows, maxWorkflowTasks, maxActivities: integer(env, 'WORKER_MAX_ACTIVITIES', 100) };
}

function address(env: ConfigEnv, name: ConfigVariable): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  const port = splitHostPort(raw)?.port;
  if (port === undefined || port < 1 || port > 65535) throw validationError(name, `${name} must be host:port with a port from 1 to 65535, such as 0.0.0.0:9464, got '${raw}'`);
  return raw;
}

const submitModes = ['submitter', 'process'] as const;

function submitMode(env: ConfigEnv): (typeof submitModes)[number] {
  const raw = env.SPARK_SUBMIT_MODE || 'submitter';
  const mode = submitModes.find((known) => known === raw);
  if (mode === undefined) throw validationError('SPARK_SUBMIT_MODE', `SPARK_SUBMIT_MODE must be one of ${submitModes.join(', ')}, got '${raw}'`);
  return mode;
}

/** A switch: `1` on, unset or empty off, anything else an error naming it. */
function flag(env: ConfigEnv, name: ConfigVariable): boolean {
  const raw = env[name] || undefined;
  if (raw !== undefined && raw !== '1') throw validationError(name, `${name} must be 1 or unset, got '${raw}'`);
  return raw === '1';
}

function localCluster(env: ConfigEnv): RuntimeConfig['localCluster'] {
  const kubeconfig = env.KUBECONFIG_LOCAL || undefined;
  if (!flag(env, 'KUBERNETES_IN_CLUSTER')) return kubeconfig ? { kubeconfig } : undefined;
  if (kubeconfig) {
    throw validationError('KUBERNETES_IN_CLUSTER', 'KUBERNETES_IN_CLUSTER=1 and KUBECONFIG_LOCAL both say how to reach the cluster local: set only one of them');
  }
  for (const name of ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const) {
    if (!env[name]) throw validationError(name, `KUBERNETES_IN_CLUSTER=1 needs ${name}, which Kubernetes sets in every pod`);
  }
  const serviceAccountDir = env.KUBERNETES_SERVICE_ACCOUNT_DIR || podServiceAccountDir;
  // The client library (KubeConfig.loadFromCluster) takes a prefix to this layout, not any directory.
  if (!serviceAccountDir.endsWith(podServiceAccountDir)) {
    throw validationError('KUBERNETES_SERVICE_ACCOUNT_DIR', `KUBERNETES_SERVICE_ACCOUNT_DIR must end with ${podServiceAccountDir}, got '${serviceAccountDir}'`);
  }
  return { serviceAccountDir };
}

/** TEMPORAL_TLS*, on their own: also what a process starting Temporal clients of its own reads (src/local/temporal-on-postgres.ts). */
export function temporalTls(env: ConfigEnv): TemporalTls | undefined {
  const enabled = flag(env, 'TEMPORAL_TLS');
  const caFile = env.TEMPORAL_TLS_CA_FILE || undefined;
  const certFile = env.TEMPORAL_TLS_CERT_FILE || undefined;
  const keyFile = env.TEMPORAL_TLS_KEY_FILE || undefined;
  const serverName = env.TEMPORAL_TLS_SERVER_NAME || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw validationError(certFile ? 'TEMPORAL_TLS_KEY_FILE' : 'TEMPORAL_TLS_CERT_FILE',
      'TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE are the client certificate and its key: set both or neither');
  }
  // Any TLS setting means TLS: a CA, a client certificate or a server name is never meant for plaintext.
  if (!enabled && caFile === undefined && certFile === undefined && serverName === undefined) return undefined;
  return {
    ...(caFile !== undefined ? { caFile } : {}),
    ...(certFile !== undefined && keyFile !== undefined ? { clientCert: { certFile, keyFile } } : {}),
    ...(serverName !== undefined ? { serverName } : {}),
  };
}

export function loadRuntimeConfig(env: ConfigEnv = process.env): RuntimeConfig {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    temporalTls: temporalTls(env),
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'compute-orchestrator',
    apiHost: env.API_HOST || '127.0.0.1',
    apiPort: integer(env, 'API_PORT', 8080),
    apiTokensFile: env.API_TOKENS_FILE || '.local/api-tokens.json',
    apiBodyLimitBytes: integer(env, 'API_BODY_LIMIT_BYTES', 256 * 1024),
    localCluster: localCluster(env),
    sparkSubmit: env.SPARK_SUBMIT || 'spark-submit',
    ...(submitMode(env) === 'submitter' ? { sparkSubmitter: env.SPARK_SUBMITTER || 'spark-submitter' } : {}),
    orchestratorNamespace: env.ORCHESTRATOR_NAMESPACE || 'compute-orchestrator',
    kernelSpecsFile: env.KERNEL_SPECS_FILE || undefined,
    prohibitedUids: idList(env, 'KERNEL_PROHIBITED_UIDS'),
    prohibitedGids: idList(env, 'KERNEL_PROHIBITED_GIDS'),
    kernelMaxPerUser: integer(env, 'KERNEL_MAX_PER_USER', 10, 0),
    sparkMaxInFlightPerUser: integer(env, 'SPARK_MAX_IN_FLIGHT_PER_USER', 50, 0),
    kernelHistoryEventLimit: integer(env, 'KERNEL_HISTORY_EVENT_LIMIT', 2_000, 100),
    kernelResponseHost: env.KERNEL_RESPONSE_HOST || undefined,
    kernelCullConnected: flag(env, 'KERNEL_CULL_CONNECTED'),
    maxPodWatches: integer(env, 'WORKER_MAX_POD_WATCHES', 5_000),
    ...workerSlots(env),
    clusterPresetsFile: env.CLUSTER_PRESETS_FILE || undefined,
    gkePollMs: integer(env, 'GKE_POLL_INTERVAL_MS', 2_000, 100),
    workerMetricsAddress: address(env, 'WORKER_METRICS_ADDRESS'),
    workerHealthAddress: address(env, 'WORKER_HEALTH_ADDRESS'),
    janitorIntervalSeconds: integer(env, 'JANITOR_INTERVAL_SECONDS', 300, 0),
    janitorGraceSeconds: integer(env, 'JANITOR_GRACE_SECONDS', 120, 0),
    codecKeysFile: env.CODEC_KEYS_FILE || defaultCodecKeysFile,
    codecCorsOrigins: origins(env, 'CODEC_CORS_ORIGINS', loopbackWebUiOrigins(8233)),
  };
}
