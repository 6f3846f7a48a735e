import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/local/paths.js';

/** `npm start` (dist/local/main.js) in a state directory of its own, its output collected. */
export interface Started {
  child: ChildProcess;
  stateDir: string;
  output: () => string;
  exited: Promise<number | null>;
}

export function startEmbedded(portOffset: number, env: Record<string, string> = {}, stateDir = mkdtempSync(join(tmpdir(), 'npm-start-'))): Started {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'local', 'main.js')], {
    cwd: repoRoot,
    env: { ...process.env, LOCAL_STATE_DIR: stateDir, LOCAL_PORT_OFFSET: String(portOffset), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stateDir, output: () => output, exited };
}

export async function until(started: Started, text: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(text)) {
    if (started.child.exitCode !== null) throw new Error(`exited with ${started.child.exitCode} before '${text}':\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`no '${text}' after ${timeoutMs}ms:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const childrenOf = (pid: number): Array<{ pid: number; command: string }> => {
  // ps exits 1 when there is no such process: an empty list.
  const listing = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return listing ? listing.split('\n').map((line) => {
    const [childPid, command] = line.trim().split(/\s+/, 2);
    return { pid: Number(childPid), command: command ?? '' };
  }) : [];
};
