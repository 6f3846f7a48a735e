import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ProcessResult {
  code: number | null;
  /** The end of stdout and stderr together, enough for an error message. */
  outputTail: string;
}

const tailBytes = 16 * 1024;

/**
 * Runs a command to completion, calling `onTick` every two seconds (activities heartbeat there)
 * and killing the process if `signal` aborts (activity cancelled).
 */
export async function runProcess(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; onTick?: () => void }): Promise<ProcessResult> {
  const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, killSignal: 'SIGKILL' });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-tailBytes);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const ticker = setInterval(() => options.onTick?.(), 2_000);
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, outputTail: output };
  } finally {
    clearInterval(ticker);
  }
}
