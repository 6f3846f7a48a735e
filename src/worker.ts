import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry, type WorkerInterceptors } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterRoleApi, ensureClusterRoles } from './activities/cluster-roles.js';
import { createActivities } from './activities/index.js';
import { activityLogContext } from './activities/log-context.js';
import { SparkSubmitter, sparkSubmitProcess } from './activities/spark-submitter.js';
import { GkeClients } from './activities/gke/client.js';
import { clusterConnector } from './cluster-access.js';
import { KernelPodEndReporter } from './activities/kernel-pod-ends.js';
import { PodWatchHub } from './activities/kubernetes/pod-watch-hub.js';
import { loadClusterPresets } from './client/cluster-presets-file.js';
import { JanitorClient } from './client/janitor.js';
import { connectTemporal } from './client/temporal.js';
import { temporalConnectionOptions } from './client/temporal-tls.js';
import { encryptingDataConverter, failureConverterPath } from './codec/data-converter.js';
import { loadRuntimeConfig, type RuntimeConfig } from './config.js';
import { watchTaskQueue } from './domain/task-queues.js';
import { createLogger, type Logger } from './logger.js';
import { siblingModulePath } from './module-path.js';
import { exitOnStartupError, isMain, runUntilSignal } from './process-lifecycle.js';
import { retryTransient, untilReachable } from './startup-retry.js';
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
  'temporalAddress' | 'temporalTls' | 'temporalNamespace' | 'codecKeysFile' | 'taskQueue' | 'localCluster' | 'sparkSubmit' | 'sparkSubmitter' | 'maxPodWatches' | 'maxCachedWorkflows' | 'maxWorkflowTasks' | 'maxActivities' | 'clusterPresetsFile'
  | 'gkePollMs' | 'janitorIntervalSeconds' | 'janitorGraceSeconds' | 'kernelResponseHost'>;

/** How long a start waits for the ClusterRoles check before it polls anyway (the check goes on). */
const rolesCheckPatienceMs = 5_000;

/**
 * Checks that every cluster it knows has the orchestrator's ClusterRoles (installing them where its
 * credential may), makes sure the janitor's Schedule exists, then runs two workers on one
 * connection: workflows and short activities on the task queue, and pod watches, which last as
 * long as their pods, on the watch queue with slots for thousands. Kernel pods need no watch
 * activity: the process's shared watch reports their ends to their sessions (KernelPodEndReporter).
 *
 * A refusal of the check (a role missing that the credential may not install) stops the start, or
 * the workers if they already run. An API server that is away does not keep the workers from
 * Temporal: after `rolesCheckPatienceMs` they poll (status reads, timers and the workflows'
 * progress need no cluster; activities retry on their own) while the check goes on.
 */
export async function startWorker(config: WorkerConfig, logger: Logger = createLogger('worker')): Promise<RunningWorker> {
  const clusterPresets = loadClusterPresets(config.clusterPresetsFile);
  const temporal = await untilReachable(`Temporal at ${config.temporalAddress}`, () => connectTemporal(config), logger);
  const clusters = clusterConnector(config.localCluster, temporal.client, clusterPresets);
  const stopChecking = new AbortController();
  const rolesChecked = Promise.all(clusters.names().map(async (cluster) => {
    const access = await clusters.access(cluster);
    await retryTransient(`check the ClusterRoles of cluster '${cluster}'`, () => ensureClusterRoles(cluster, clusterRoleApi(access), (message) => logger.warn({ cluster }, message)), logger, Infinity, stopChecking.signal);
  }));
  // The Spark submitter's JVM starts and the workflow code is bundled meanwhile: a restart polls sooner.
  const preparing = Promise.all([
    untilReachable(`Temporal at ${config.temporalAddress}`, () => NativeConnection.connect(temporalConnectionOptions(config)), logger),
    config.sparkSubmitter !== undefined ? SparkSubmitter.start(config.sparkSubmitter, logger) : undefined,
    bundleWorkflowCode({ workflowsPath, failureConverterPath, workflowInterceptorModules: workerInterceptors.workflowModules, logger: new DefaultLogger('WARN', (entry) => logger.warn(entry.meta ?? {}, entry.message)) }),
  ]);
  // Awaited below: a failure while the check runs is not an unhandled rejection meanwhile.
  preparing.catch(() => undefined);
  const patience = new AbortController();
  try {
    const checkedInTime = await Promise.race([rolesChecked.then(() => true), sleep(rolesCheckPatienceMs, false, { signal: patience.signal }).catch(() => false)]);
    if (!checkedInTime) logger.warn({ patienceMs: rolesCheckPatienceMs }, 'the ClusterRoles cannot be checked yet: polling meanwhile, checking on');
  } catch (error) {
    const [connection, submitter] = await preparing.catch(() => []);
    await submitter?.close();
    await connection?.close();
    throw error;
  } finally {
    patience.abort();
  }
  const [connection, submitter, workflowBundle] = await preparing;
  const podWatches = new PodWatchHub(clusters, (cluster, error) => logger.warn({ cluster, err: error }, 'pod watch broke; starting it again'));
  const podEnds = new KernelPodEndReporter(podWatches, clusters, temporal.client, config.taskQueue, logger);
  const gkeClients = new GkeClients(clusterPresets);
  const activities = createActivities({ clusters, sparkSubmission: submitter ?? sparkSubmitProcess(config.sparkSubmit), podWatches, temporal: temporal.client, clusterPresets, gkeClients, gkePollMs: config.gkePollMs, kernelResponseHost: config.kernelResponseHost });
  const common = { connection, namespace: config.temporalNamespace, dataConverter: encryptingDataConverter(temporal.codec), interceptors: { activity: workerInterceptors.activity } };
  const workers = [
    await Worker.create({
      ...common, taskQueue: config.taskQueue, workflowBundle, activities,
      maxCachedWorkflows: config.maxCachedWorkflows, maxConcurrentWorkflowTaskExecutions: config.maxWorkflowTasks, maxConcurrentActivityTaskExecutions: config.maxActivities,
    }),
    await Worker.create({
      ...common,
      taskQueue: watchTaskQueue(config.taskQueue),
      activities: { watchPodUntilEnd: activities.watchPodUntilEnd.bind(activities), watchKernelWire: activities.watchKernelWire.bind(activities) },
      maxConcurrentActivityTaskExecutions: config.maxPodWatches,
    }),
  ];
  podEnds.start();
  if (config.janitorIntervalSeconds > 0) {
    await new JanitorClient(temporal.client, config.taskQueue).ensureSchedule({ everySeconds: config.janitorIntervalSeconds, graceSeconds: config.janitorGraceSeconds });
  }
  const stopWorkers = (): void => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  let refusal: Error | undefined;
  rolesChecked.catch((error: unknown) => {
    if (stopChecking.signal.aborted) return;
    refusal = error instanceof Error ? error : new Error(String(error));
    logger.error({ err: error }, 'the ClusterRoles check was refused: stopping the workers');
    stopWorkers();
  });
  const done = Promise.all(workers.map((worker) => worker.run())).then(() => {
    if (refusal !== undefined) throw refusal;
  }).finally(async () => {
    stopChecking.abort();
    await submitter?.close();
    await podEnds.close();
    await podWatches.close();
    await gkeClients.close();
    await temporal.close();
    await connection.close();
  });
  return {
    workers,
    done,
    async stop() {
      stopWorkers();
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
  void running.done.catch(exitOnStartupError('worker'));
  await runUntilSignal(logger, async () => {
    // Draining workers answer 503 until they have stopped.
    await running.stop();
    await health?.close();
  });
}
