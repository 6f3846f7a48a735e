import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { installClusterRoles } from './activities/cluster-roles.js';
import { createActivities } from './activities/index.js';
import { ClusterConnector } from './activities/kubernetes/cluster-connector.js';
import { loadRuntimeConfig, type RuntimeConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { exitOnStartupError, isMain, runUntilSignal } from './process-lifecycle.js';

// Source under test (.ts) or compiled (.js): the bundler takes either.
const sourceExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const workflowsPath = fileURLToPath(new URL(`./workflows/index${sourceExtension}`, import.meta.url));

const pinoLevels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
const temporalLevels = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' } as const;

/**
 * Sends the SDK's and the Rust core's logs to our structured logger, at its level; once per
 * process, before any worker.
 */
export function routeTemporalLogs(logger: Logger): void {
  const level = temporalLevels[logger.level as keyof typeof temporalLevels] ?? 'INFO';
  Runtime.install({
    logger: new DefaultLogger(level, (entry: LogEntry) => logger[pinoLevels[entry.level]](entry.meta ?? {}, entry.message)),
  });
}

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped; rejects if it failed. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export type WorkerConfig = Pick<RuntimeConfig, 'temporalAddress' | 'temporalNamespace' | 'taskQueue' | 'localKubeconfig' | 'sparkSubmit'>;

/**
 * Creates and runs the orchestrator's worker on the configured task queue, after installing the
 * orchestrator's ClusterRoles on every cluster it knows.
 */
export async function startWorker(config: WorkerConfig): Promise<RunningWorker> {
  const clusters = new ClusterConnector(config.localKubeconfig ? { local: config.localKubeconfig } : {});
  for (const cluster of clusters.names()) await installClusterRoles(clusters, cluster);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    workflowsPath,
    activities: createActivities({ clusters, sparkSubmit: config.sparkSubmit }),
  });
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

if (isMain(import.meta.url)) {
  const logger = createLogger('worker');
  routeTemporalLogs(logger);
  const running = await Promise.resolve().then(() => startWorker(loadRuntimeConfig())).catch(exitOnStartupError('worker'));
  await runUntilSignal(logger, () => running.stop());
}
