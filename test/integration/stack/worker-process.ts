import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll } from '@jest/globals';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken, type TokenEntry } from '../../../src/api/auth.js';
import { repoRoot } from '../../../src/local/paths.js';
import { freePort } from '../../../src/local/ports.js';
import { connectTemporal, type TemporalHandle } from '../../../src/client/temporal.js';
import { loadRuntimeConfig } from '../../../src/config.js';
import { callApi } from './http.js';
import { eventually } from './kube.js';
import { testToken } from './orchestrator.js';
import { stackEnv } from './stack-info.js';

/** A compiled entry point (`worker.js`, `api/main.js`) as operators run it: its own process, so SIGKILL is a real crash. */
function startOrchestratorProcess(entry: string, logFile: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', entry)], {
    env: { ...process.env, ...stackEnv(), LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return child;
}

export function startWorkerProcess(taskQueue: string, logFile: string, env: Record<string, string> = {}): ChildProcess {
  return startOrchestratorProcess('worker.js', logFile, { TEMPORAL_TASK_QUEUE: taskQueue, ...env });
}

export async function killWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

/** The worker and API processes a test starts, each logging to `<logDir>/<name>.log`, all killed at its end. */
export class OrchestratorProcesses {
  private readonly started: ChildProcess[] = [];
  private readonly apis = new Map<number, ChildProcess>();

  constructor(readonly logDir: string) {}

  start(taskQueue: string, name: string, env: Record<string, string> = {}): ChildProcess {
    const worker = startWorkerProcess(taskQueue, join(this.logDir, `${name}.log`), env);
    this.started.push(worker);
    return worker;
  }

  /**
   * An API process on a free port (or `port`) that accepts `testToken` (every scope) and `tokens`;
   * `env` gives at least its task queue. Resolves with its URL once its /healthz is 200: Temporal
   * reached, a worker polling.
   */
  async startApi(name: string, env: Record<string, string>, options: { port?: number; tokens?: TokenEntry[] } = {}): Promise<string> {
    const tokensFile = join(this.logDir, 'api-tokens.json');
    writeFileSync(tokensFile, JSON.stringify({ tokens: [{ name: 'operator', sha256: hashToken(testToken), scopes: ['*'] }, ...options.tokens ?? []] }));
    const port = options.port ?? await freePort();
    const api = startOrchestratorProcess(join('api', 'main.js'), join(this.logDir, `${name}.log`), { ...env, API_PORT: String(port), API_TOKENS_FILE: tokensFile });
    this.started.push(api);
    this.apis.set(port, api);
    const url = `http://127.0.0.1:${port}`;
    await eventually(() => callApi(url, 'GET', '/healthz').catch(() => ({ statusCode: 0 })), (answer) => answer.statusCode === 200, 90_000);
    return url;
  }

  /** SIGKILLs the API process serving `url`: a crash, as a node failure would make it. */
  async killApi(url: string): Promise<void> {
    const api = this.apis.get(Number(new URL(url).port));
    if (!api) throw new Error(`no API process of this test serves ${url}`);
    await killWorker(api);
  }

  killAll(): Promise<void[]> {
    return Promise.all(this.started.map(killWorker));
  }
}

export interface WorkerProcessSuite {
  workers: OrchestratorProcesses;
  /** Connected before the first test. */
  readonly temporal: TemporalHandle;
}

/**
 * For a describe block whose tests run the worker as processes: a Temporal client of the stack,
 * and, after the block, every worker killed and the client closed. Logs go to a fresh directory.
 */
export function workerProcessSuite(name: string): WorkerProcessSuite {
  const workers = new OrchestratorProcesses(mkdtempSync(join(tmpdir(), `${name}-`)));
  let temporal: TemporalHandle | undefined;
  beforeAll(async () => {
    temporal = await connectTemporal(loadRuntimeConfig(stackEnv()));
  });
  afterAll(async () => {
    await workers.killAll();
    await temporal?.close();
  });
  return {
    workers,
    get temporal(): TemporalHandle {
      if (!temporal) throw new Error('the Temporal client connects before the first test');
      return temporal;
    },
  };
}
