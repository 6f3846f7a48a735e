import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry, type WorkerInterceptors } from '@temporalio/worker';
import { clusterRoleApi, ensureClusterRoles } from './activities/cluster-roles.js';
import { createActivities } from './activities/index.js';
import { activityLogContext } from './activities/log-context.js';
import { SparkSubmitter, sparkSubmitProcess } from './activities/spark-submitter.js';
import { GkeClients } from './activities/gke/client.js';
import { clusterConnector } from './cluster-access.js';
import { PodWatchHub } from './activities/kubernetes/pod-watch-hub.js';
import { loadClusterPresets } from './client/cluster-presets-file.js';
import { JanitorClient } from './client/janitor.js';
import { connectTemporal } from './client/temporal.js';
import { temporalConnectionOptions } from './client/temporal-tls.js';
import { encryptingDataConverter } from './codec/data-converter.js';
import { loadRuntimeConfig, type RuntimeConfig } from './config.js';
import { watchTaskQueue } from './domain/task-queues.js';
import { createLogger, type Logger } from './logger.js';
import { siblingModulePath } from './module-path.js';
import { exitOnStartupError, isMain, runUntilSignal } from './process-lifecycle.js';
import { retryTransient } from './startup-retry.js';
import { serveWorkerHealth, type WorkerState } from './worker-health.js';

const workflowsPath = siblingModulePath(import.meta.url, './workflows/index');

/** Log lines of workflows and activities carry the DSS user and the job, kernel or cluster id; the replay test runs them too. */
export const workerInterceptors = {
  workflowModules: [siblingModulePath(import.meta.url, './workflows/log-context')],
  activity: [activityLogContext],
} satisfies WorkerInterceptors;

const pinoLevels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
const temporalLevels = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' } as const;

/**
 * Once per process, before any worker: sends the SDK's and the Rust core's logs to our structured
 * logger, at its level, and, given an address, serves Prometheus metrics at http://<address>/metrics
 * (Temporal's `temporal_*` worker metrics and the orchestrator's own `compute_orchestrator_*`).
 */
export function installTemporalRuntime(logger: Logger, metricsAddress?: string): void {
  const level = temporalLevels[logger.level as keyof typeof temporalLevels] ?? 'INFO';
  Runtime.install({
    logger: new DefaultLogger(level, (entry: LogEntry) => logger[pinoLevels[entry.level]](entry.meta ?? {}, entry.message)),
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}),
  });
}

export interface RunningWorker {
  workers: Worker[];
  /** Resolves when the workers have stopped; rejects if one failed. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export type WorkerConfig = Pick<RuntimeConfig,
  'temporalAddress' | 'temporalTls' | 'temporalNamespace' | 'codecKeysFile' | 'taskQueue' | 'localCluster' | 'sparkSubmit' | 'sparkSubmitter' | 'maxPodWatches' | 'clusterPresetsFile'
  | 'gkePollMs' | 'janitorIntervalSeconds' | 'janitorGraceSeconds' | 'kernelResponseHost'>;

/**
 * Checks that every cluster it knows has the orchestrator's ClusterRoles (installing them where its
 * credential may), makes sure the janitor's Schedule exists, then runs two workers on one
 * connection: workflows and short activities on the task queue, and pod watches, which last as
 * long as their pods, on the watch queue with slots for thousands.
 */
export async function startWorker(config: WorkerConfig, logger: Logger = createLogger('worker')): Promise<RunningWorker> {
  const clusterPresets = loadClusterPresets(config.clusterPresetsFile);
  const temporal = await connectTemporal(config);
  const clusters = clusterConnector(config.localCluster, temporal.client, clusterPresets);
  for (const cluster of clusters.names()) {
    const access = await clusters.access(cluster);
    await retryTransient(`check the ClusterRoles of cluster '${cluster}'`, () => ensureClusterRoles(cluster, clusterRoleApi(access), (message) => logger.warn({ cluster }, message)), logger);
  }
  const podWatches = new PodWatchHub(clusters, (cluster, error) => logger.warn({ cluster, err: error }, 'pod watch broke; starting it again'));
  const gkeClients = new GkeClients(clusterPresets);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const submitter = config.sparkSubmitter !== undefined ? await SparkSubmitter.start(config.sparkSubmitter, logger) : undefined;
  const activities = createActivities({ clusters, sparkSubmission: submitter ?? sparkSubmitProcess(config.sparkSubmit), podWatches, temporal: temporal.client, clusterPresets, gkeClients, gkePollMs: config.gkePollMs, kernelResponseHost: config.kernelResponseHost });
  const common = { connection, namespace: config.temporalNamespace, dataConverter: encryptingDataConverter(temporal.codec), interceptors: workerInterceptors };
  const workers = [
    await Worker.create({ ...common, taskQueue: config.taskQueue, workflowsPath, activities }),
    await Worker.create({
      ...common,
      taskQueue: watchTaskQueue(config.taskQueue),
      activities: { watchPodUntilEnd: activities.watchPodUntilEnd.bind(activities), watchKernelWire: activities.watchKernelWire.bind(activities) },
      maxConcurrentActivityTaskExecutions: config.maxPodWatches,
    }),
  ];
  if (config.janitorIntervalSeconds > 0) {
    await new JanitorClient(temporal.client, config.taskQueue).ensureSchedule({ everySeconds: config.janitorIntervalSeconds, graceSeconds: config.janitorGraceSeconds });
  }
  const done = Promise.all(workers.map((worker) => worker.run())).then(() => undefined).finally(async () => {
    await submitter?.close();
    await podWatches.close();
    await gkeClients.close();
    await temporal.close();
    await connection.close();
  });
  return {
    workers,
    done,
    async stop() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

const stateOf = (worker: Worker): WorkerState => ({ taskQueue: worker.options.taskQueue, state: worker.getState() });

if (isMain(import.meta.url)) {
  const logger = createLogger('worker');
  const config = await Promise.resolve().then(() => loadRuntimeConfig()).catch(exitOnStartupError('worker'));
  installTemporalRuntime(logger, config.workerMetricsAddress);
  const workers: Worker[] = [];
  // Up before the workers: a start-up that waits for Temporal or an API server answers 503, not nothing.
  const health = config.workerHealthAddress
    ? await serveWorkerHealth(config.workerHealthAddress, () => workers.map(stateOf)).catch(exitOnStartupError('worker'))
    : undefined;
  const running = await Promise.resolve().then(() => startWorker(config, logger)).catch(exitOnStartupError('worker'));
  workers.push(...running.workers);
  await runUntilSignal(logger, async () => {
    // Draining workers answer 503 until they have stopped.
    await running.stop();
    await health?.close();
  });
}
