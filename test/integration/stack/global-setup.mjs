// Plain ESM: Jest loads global setup outside its module system, so this uses the compiled
// stack code, built here first so that a direct `jest` run never starts a stale stack.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** One real stack (Temporal dev server and Kubernetes control plane) for the whole run. */
export default async function globalSetup() {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
  const { freePorts, startLocalStack } = await import(join(repoRoot, 'dist', 'local', 'stack.js'));
  const { ensureLocalCodecKeys } = await import(join(repoRoot, 'dist', 'local', 'codec-keys.js'));
  const { clearDeadNode } = await import(join(repoRoot, 'dist', 'local', 'node', 'host-claim.js'));
  // TEST_STACK_DIR lets two test runs (two checkouts, two people) each have their own stack.
  const stateDir = process.env.TEST_STACK_DIR || join(repoRoot, '.local', 'test-stack');
  // A real node that died with an earlier run holds mounts under its directory: undone first.
  const cleared = await clearDeadNode();
  if (cleared) console.log(`\ncleared the host state of a real node that died (stack ${cleared.stateDir}, pid ${cleared.pid})`);
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const started = Date.now();
  const stack = await startLocalStack({ stateDir, ports: await freePorts(), report: (message) => console.log(`\nlocal stack: ${message}`) });
  globalThis.__LOCAL_STACK__ = stack;
  writeFileSync(join(stateDir, 'stack.json'), JSON.stringify({
    temporalAddress: stack.temporalAddress,
    temporalUiUrl: stack.temporalUiUrl,
    kubeconfig: stack.kubeconfig,
    workerKubeconfig: stack.workerKubeconfig,
    apiserverUrl: stack.apiserverUrl,
    realNode: stack.realNode,
    kernelResponseHost: stack.kernelResponseHost,
    kwokOnlyReason: stack.kwokOnlyReason,
    codecKeysFile: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')),
  }, null, 2));
  const nodes = stack.realNode ? `real node ${stack.realNode} and the kwok node` : `the kwok node only: ${stack.kwokOnlyReason}`;
  console.log(`\nlocal stack up in ${((Date.now() - started) / 1000).toFixed(1)}s with ${nodes} (logs: ${stack.logDir})`);
}
