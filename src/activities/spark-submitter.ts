import { ApplicationFailure } from '@temporalio/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { runProcess } from './process-runner.js';

/** One submission's outcome: whether Spark created the driver, and what it said otherwise. */
export interface SubmissionResult {
  ok: boolean;
  /** spark-submit's output, or the submitter's account of the failure: for error messages. */
  output: string;
}

/** Makes one cluster-mode submission from spark-submit's arguments. */
export interface SparkSubmission {
  submit(args: string[], options: { signal: AbortSignal; onTick: () => void }): Promise<SubmissionResult>;
}

/** spark-submit binds nothing in cluster mode; loopback keeps it from probing interfaces. */
const submitEnv = { SPARK_LOCAL_IP: '127.0.0.1' };

/** A spark-submit JVM per job: the old way, kept by SPARK_SUBMIT_MODE=process. */
export function sparkSubmitProcess(command: string): SparkSubmission {
  return {
    async submit(args, { signal, onTick }) {
      const result = await runProcess(command, args, { env: submitEnv, signal, onTick });
      return { ok: result.code === 0, output: result.outputTail };
    },
  };
}

const startupTimeoutMs = 60_000;
const restartDelayMs = 1_000;

/**
 * The Spark submitter (submitter/): one JVM beside the worker that makes every submission with
 * Spark's own code, over loopback. Started with the worker, started again whenever it dies (a
 * submission it dies in fails retryably: the activity's driver check keeps the retry from
 * submitting twice), and ended with the worker: closing its stdin ends it, even when the worker
 * itself is killed.
 */
export class SparkSubmitter implements SparkSubmission {
  private child: ChildProcess | undefined;
  private address: Promise<string> | undefined;
  private closed = false;
  /** Proves a request comes from this worker (see submitter/): made per worker, never logged. */
  private readonly key = randomBytes(32).toString('hex');

  private constructor(private readonly command: string, private readonly logger: Logger) {}

  /** Resolves once the submitter listens: a worker that cannot submit says so at start-up. */
  static async start(command: string, logger: Logger): Promise<SparkSubmitter> {
    const submitter = new SparkSubmitter(command, logger);
    submitter.launch();
    try {
      await submitter.address;
    } catch (error) {
      await submitter.close();
      throw error;
    }
    return submitter;
  }

  private launch(): void {
    const child = spawn(this.command, [], { env: { ...process.env, ...submitEnv, SPARK_SUBMITTER_KEY: this.key }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const log = this.logger.child({ component: 'spark-submitter', submitterPid: child.pid });
    createInterface({ input: child.stderr }).on('line', (line) => log.warn({ line }, 'spark-submitter says'));
    const address = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the Spark submitter did not start listening within ${startupTimeoutMs / 1000} s`)), startupTimeoutMs);
      createInterface({ input: child.stdout }).on('line', (line) => {
        const listening = /^listening on (\S+)$/.exec(line)?.[1];
        if (listening === undefined) return;
        clearTimeout(timer);
        log.info({ address: listening }, 'Spark submitter ready');
        resolve(listening);
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot start the Spark submitter '${this.command}': ${error.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the Spark submitter exited (code ${String(code)}, signal ${String(signal)})`));
      });
    });
    // A rejection is reported to the submissions that wait for it, not as an unhandled one.
    address.catch(() => undefined);
    this.address = address;
    child.once('exit', (code, signal) => {
      if (this.closed) return;
      log.warn({ code, signal }, 'the Spark submitter exited; starting it again');
      setTimeout(() => { if (!this.closed) this.launch(); }, restartDelayMs).unref();
    });
  }

  /** Where the running submitter listens (loopback host:port). */
  listening(): Promise<string> {
    return this.address!;
  }

  /** The submitter JVM's process id, while one runs. */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  async submit(args: string[], { signal, onTick }: { signal: AbortSignal; onTick: () => void }): Promise<SubmissionResult> {
    const ticker = setInterval(onTick, 2_000);
    try {
      let address: string;
      try {
        address = await this.address!;
      } catch (error) {
        throw ApplicationFailure.retryable((error as Error).message, 'SparkSubmitterUnavailable');
      }
      let response: Response;
      try {
        response = await fetch(`http://${address}/submissions`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${this.key}` }, body: JSON.stringify({ args }), signal,
        });
      } catch (error) {
        if (signal.aborted) throw error;
        throw ApplicationFailure.retryable(`the Spark submitter did not answer: ${(error as Error).message}`, 'SparkSubmitterUnavailable');
      }
      const body = (await response.json()) as { error?: string };
      if (response.status === 201) return { ok: true, output: '' };
      if (response.status === 422) return { ok: false, output: body.error ?? '' };
      throw ApplicationFailure.nonRetryable(`the Spark submitter refused the request (HTTP ${response.status}): ${body.error ?? ''}`, 'SparkSubmitterRefused');
    } finally {
      clearInterval(ticker);
    }
  }

  /** Ends the submitter: its stdin closes (it exits by itself), and it is killed if it lingers. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(kill);
  }
}
