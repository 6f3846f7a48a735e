import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/** A local component failed: names it and carries the end of its log. */
export class ComponentError extends Error {
  constructor(readonly component: string, problem: string, readonly logTail = '') {
    super(logTail ? `${component}: ${problem}\n--- last lines of its log ---\n${logTail}` : `${component}: ${problem}`);
    this.name = 'ComponentError';
  }
}

function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

// setpriv asks the kernel to kill the child when this process dies, even by SIGKILL, so no
// component outlives the stack that started it.
const deathSignalWrapper = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'SIGTERM', '--'] : [];

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (a root parent starting a server that refuses root). */
  uid?: number;
  gid?: number;
}

/** One child process of the local stack, with its output in a log file. */
export class SupervisedProcess {
  private exitDescription: string | undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly options: StartOptions, private readonly child: ChildProcess, log: WriteStream) {
    // 'close' comes after the child's output is drained; the log is flushed before anyone reads it.
    this.exited = once(child, 'close').then(async ([code, signal]) => {
      log.end();
      await once(log, 'finish');
      this.exitDescription = signal ? `was killed by ${String(signal)}` : `exited with code ${String(code)}`;
    });
  }

  static start(options: StartOptions): SupervisedProcess {
    if (!existsSync(options.command)) {
      throw new ComponentError(options.name, `binary ${options.command} is missing: run 'bash tools/build-all.sh'`);
    }
    const log = createWriteStream(options.logFile, { flags: 'a' });
    const [command, ...prefix] = [...deathSignalWrapper, options.command];
    const child = spawn(command, [...prefix, ...options.args], {
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches only us, and we stop the components
      // in order (worker before Temporal). The death signal still ends it if we die.
      detached: true,
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    return new SupervisedProcess(options, child, log);
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitDescription === undefined;
  }

  logTail(): string {
    return tail(this.options.logFile);
  }

  /** Polls `probe` until it returns true; fails early, with the log, if the process dies. */
  async waitUntilReady(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new ComponentError(this.name, `${this.exitDescription} before ${what}`, this.logTail());
      }
      if (await probe().catch(() => false)) return;
      await sleep(200);
    }
    throw new ComponentError(this.name, `not ${what} after ${timeoutMs / 1000}s`, this.logTail());
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const escalation = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(escalation);
  }

  /** SIGKILL: a crash, as a node's failure makes it; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Resolves when the process exits on its own; used to notice a component that dies later. */
  whenExited(): Promise<string> {
    return this.exited.then(() => this.exitDescription ?? 'exited');
  }
}

/**
 * Components started at once: each that starts joins `processes` (so that the caller can stop it),
 * and the first failure is thrown once all have settled.
 */
export async function startSideBySide(processes: SupervisedProcess[], starts: Array<Promise<SupervisedProcess>>): Promise<void> {
  const started = await Promise.allSettled(starts);
  for (const result of started) if (result.status === 'fulfilled') processes.push(result.value);
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}
