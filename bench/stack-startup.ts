/**
 * How long the embedded stack takes to be usable:
 *  - `stack (fresh)`: control plane, the real node (when this machine can run one: its images
 *    imported into a new containerd) and Temporal dev server from an empty state directory;
 *  - `stack (restart)`: the same, reusing the state directory (PKI, etcd, SQLite, images);
 *  - `npm start`: the whole process tree until the worker polls and /healthz is 200.
 * Usage: npm run bench -- [runs]   (default 3 runs of each)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../src/local/paths.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';

const runs = Number(process.argv[2] ?? 3);

async function timeStack(stateDir: string): Promise<number> {
  const started = performance.now();
  const stack = await startLocalStack({ stateDir, ports: await freePorts() });
  const elapsed = performance.now() - started;
  await stack.stop();
  return elapsed;
}

function timeNpmStart(): Promise<number> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-start-'));
  const started = performance.now();
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'local', 'main.js')], {
    env: { ...process.env, LOCAL_STATE_DIR: stateDir, LOCAL_PORT_OFFSET: '21000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const wasUp = output.includes('compute-orchestrator is up.');
      output += chunk.toString();
      // Once: a second Ctrl-C makes npm start exit without stopping what it started.
      if (!wasUp && output.includes('compute-orchestrator is up.')) {
        const elapsed = performance.now() - started;
        child.once('exit', () => {
          rmSync(stateDir, { recursive: true, force: true });
          resolve(elapsed);
        });
        child.kill('SIGINT');
      }
    });
    child.once('exit', (code) => {
      if (!output.includes('is up')) reject(new Error(`npm start exited with ${String(code)}:\n${output}`));
    });
  });
}

function summary(name: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  return `| ${name} | ${samples.length} | ${seconds(sorted[0]!)} | ${seconds(sorted[Math.floor(sorted.length / 2)]!)} | ${seconds(sorted.at(-1)!)} |`;
}

const fresh: number[] = [];
const restart: number[] = [];
const npmStart: number[] = [];
for (let run = 0; run < runs; run++) {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-stack-'));
  fresh.push(await timeStack(stateDir));
  restart.push(await timeStack(stateDir));
  rmSync(stateDir, { recursive: true, force: true });
  npmStart.push(await timeNpmStart());
}
console.log('| measure | runs | min s | median s | max s |\n|---|---|---|---|---|');
console.log([summary('stack (fresh)', fresh), summary('stack (restart)', restart), summary('npm start to healthy', npmStart)].join('\n'));
