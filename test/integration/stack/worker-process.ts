import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, toolBinary } from '../../../src/local/paths.js';
import { readStackInfo } from './stack-info.js';

/** The worker as operators run it: its own process (compiled), so SIGKILL is a real crash. */
export function startWorkerProcess(taskQueue: string, logFile: string, env: Record<string, string> = {}): ChildProcess {
  const info = readStackInfo();
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'worker.js')], {
    env: {
      ...process.env, TEMPORAL_ADDRESS: info.temporalAddress, TEMPORAL_TASK_QUEUE: taskQueue,
      KUBECONFIG_LOCAL: info.workerKubeconfig, SPARK_SUBMIT: toolBinary('spark', 'spark-submit'), LOG_LEVEL: 'debug', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return child;
}

export async function killWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

/** The worker processes a test starts, each logging to `<logDir>/<name>.log`, all killed at its end. */
export class WorkerProcesses {
  private readonly started: ChildProcess[] = [];

  constructor(readonly logDir: string) {}

  start(taskQueue: string, name: string, env: Record<string, string> = {}): ChildProcess {
    const worker = startWorkerProcess(taskQueue, join(this.logDir, `${name}.log`), env);
    this.started.push(worker);
    return worker;
  }

  killAll(): Promise<void[]> {
    return Promise.all(this.started.map(killWorker));
  }
}
