import { validationError } from './domain/errors.js';

/** Runtime configuration of the worker, the API and the CLI, from environment variables (README). */
export interface RuntimeConfig {
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  apiHost: string;
  apiPort: number;
  /** File of API tokens (hashes and scopes); see src/api/auth.ts. */
  apiTokensFile: string;
  apiBodyLimitBytes: number;
  /** Kubeconfig of the static cluster `local`, when there is one. */
  localKubeconfig?: string;
  /** The spark-submit launcher the worker runs. */
  sparkSubmit: string;
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
  /** Pods one worker follows at once (each an idle activity on the watch task queue). */
  maxPodWatches: number;
  /** JSON file of GKE connections, node pools and static clusters; none when unset. */
  clusterPresetsFile?: string;
  /** How often the worker reads a GKE operation it waits for. */
  gkePollMs: number;
  /** host:port where the worker serves Prometheus metrics (/metrics); none when unset. */
  workerMetricsAddress?: string;
  /** Seconds between two scheduled janitor sweeps; 0: no schedule (sweeps on demand only). */
  janitorIntervalSeconds: number;
  /** The janitor leaves objects younger than this alone, whatever their owner's state. */
  janitorGraceSeconds: number;
  /** JSON file of the payload codec's keys (src/codec/keys.ts); required by everything that talks to Temporal. */
  codecKeysFile: string;
  /** Browser origins (the Temporal Web UI's) allowed to call the API's codec endpoint. */
  codecCorsOrigins: string[];
}

export const defaultCodecKeysFile = '.local/codec-keys.json';
/** A Web UI on this machine's loopback, by both names a browser may use for it (CODEC_CORS_ORIGINS). */
export const loopbackWebUiOrigins = (port: number): string => `http://127.0.0.1:${port},http://localhost:${port}`;

function idList(env: NodeJS.ProcessEnv, name: string): number[] {
  const raw = env[name] ?? '0';
  if (raw.trim() === '') return [];
  const ids = raw.split(',').map((part) => part.trim());
  if (ids.some((id) => !/^\d+$/.test(id))) throw validationError(name, `${name} must be a comma-separated list of ids, got '${raw}'`);
  return ids.map(Number);
}

function origins(env: NodeJS.ProcessEnv, name: string, fallback: string): string[] {
  const raw = env[name] ?? fallback;
  const list = raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
  // An origin is exactly what a browser sends in its Origin header: scheme, host, port; no path.
  const bad = list.find((origin) => !/^https?:\/\/[^/\s]+$/.test(origin));
  if (bad !== undefined) throw validationError(name, `${name} must be a comma-separated list of origins such as http://127.0.0.1:8233, got '${bad}'`);
  return list;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw validationError(name, `${name} must be an integer of at least ${minimum}, got '${raw}'`);
  return value;
}

export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'compute-orchestrator',
    apiHost: env.API_HOST || '127.0.0.1',
    apiPort: integer(env, 'API_PORT', 8080),
    apiTokensFile: env.API_TOKENS_FILE || '.local/api-tokens.json',
    apiBodyLimitBytes: integer(env, 'API_BODY_LIMIT_BYTES', 256 * 1024),
    localKubeconfig: env.KUBECONFIG_LOCAL || undefined,
    sparkSubmit: env.SPARK_SUBMIT || 'spark-submit',
    orchestratorNamespace: env.ORCHESTRATOR_NAMESPACE || 'compute-orchestrator',
    kernelSpecsFile: env.KERNEL_SPECS_FILE || undefined,
    prohibitedUids: idList(env, 'KERNEL_PROHIBITED_UIDS'),
    prohibitedGids: idList(env, 'KERNEL_PROHIBITED_GIDS'),
    kernelMaxPerUser: integer(env, 'KERNEL_MAX_PER_USER', 10, 0),
    sparkMaxInFlightPerUser: integer(env, 'SPARK_MAX_IN_FLIGHT_PER_USER', 50, 0),
    kernelHistoryEventLimit: integer(env, 'KERNEL_HISTORY_EVENT_LIMIT', 2_000, 100),
    maxPodWatches: integer(env, 'WORKER_MAX_POD_WATCHES', 5_000),
    clusterPresetsFile: env.CLUSTER_PRESETS_FILE || undefined,
    gkePollMs: integer(env, 'GKE_POLL_INTERVAL_MS', 2_000, 100),
    workerMetricsAddress: env.WORKER_METRICS_ADDRESS || undefined,
    janitorIntervalSeconds: integer(env, 'JANITOR_INTERVAL_SECONDS', 300, 0),
    janitorGraceSeconds: integer(env, 'JANITOR_GRACE_SECONDS', 120, 0),
    codecKeysFile: env.CODEC_KEYS_FILE || defaultCodecKeysFile,
    codecCorsOrigins: origins(env, 'CODEC_CORS_ORIGINS', loopbackWebUiOrigins(8233)),
  };
}
