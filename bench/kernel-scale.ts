/**
 * Idle kernel sessions held by one worker, on the embedded stack (real Temporal, control plane,
 * kwok): N sessions are launched (`inFlight` at a time, 100 users, the per-user limit on), kept
 * alive by touches while the rest launch, then left idle. Reported: the worker process's resident
 * memory before and with N idle sessions, its CPU while they idle, and, after one touch of every
 * kernel at once, how late the idle cull fires against each deadline (lastActivity + timeout, by
 * the session's own clock), and how long until every session has cleaned up. With `spreadSeconds`,
 * the timeouts are spread evenly over that much more, so the deadlines are too (users who stop at
 * different moments); without, they all fall within the seconds the touches take.
 * The worker's cache is WORKER_MAX_CACHED_WORKFLOWS from the environment (its default otherwise).
 * Usage: npm run bench:kernel-scale -- [sessions=1000] [inFlight=20] [cullIdleTimeoutSeconds=240, at least 150] [spreadSeconds=0]
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelsClient } from '../src/client/kernels.js';
import { toKernelSessionInput } from '../src/client/kernel-request.js';
import { kernelContext } from '../src/client/kernel-catalog.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import { kindLabel } from '../src/domain/labels.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { localSparkSubmitEnv, repoRoot } from '../src/local/paths.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { writeKernelSpecs } from '../test/integration/stack/simulated-kernels.js';
import { percentile } from './percentile.js';
import { pool } from './pool.js';

const sessions = Number(process.argv[2] ?? 1000);
const inFlight = Number(process.argv[3] ?? 20);
const cullSeconds = Number(process.argv[4] ?? 240);
const spreadSeconds = Number(process.argv[5] ?? 0);
// The sessions idle 90 s to be measured (after touches every 60 s while the rest launch): none may be culled before.
if (!(cullSeconds >= 150)) throw new Error(`cullIdleTimeoutSeconds must be at least 150 (the sessions idle 90 s to be measured), got ${process.argv[4]}`);
/** Kernel `index`'s idle timeout. */
const timeoutOf = (index: number): number => cullSeconds + Math.floor((index * spreadSeconds) / sessions);
const stateDir = join(tmpdir(), `bench-kernel-scale-${process.pid}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.error(`[${new Date().toISOString()}] ${line}`);

/** Resident memory (MiB) and CPU time (s) of a process, from /proc. */
function usage(pid: number): { rssMiB: number; cpuSeconds: number } {
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMiB: Math.round(rssKiB / 1024), cpuSeconds: ticks / 100 };
}

const stack = await startLocalStack({ stateDir, ports: await freePorts() });
const env = {
  TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: 'bench-kernel-scale', KUBECONFIG_LOCAL: stack.workerKubeconfig, ...localSparkSubmitEnv(),
  CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')),
  // Kernels on the kwok node: thousands of them, and their images are not on the real node.
  KERNEL_SPECS_FILE: writeKernelSpecs(stateDir, 'kernel-specs-simulated'),
};
const worker = spawn(process.execPath, [join(repoRoot, 'dist', 'worker.js')], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  const config = loadRuntimeConfig(env);
  const temporal = await connectTemporal(config);
  const kernels = new KernelsClient(temporal.client, config.taskQueue, config.kernelMaxPerUser);
  const context = kernelContext(config);
  // Every user at most at the per-user limit (10 by default): every start still goes through a quota workflow.
  const users = Math.max(100, Math.ceil(sessions / config.kernelMaxPerUser));
  await sleep(10_000);
  const before = usage(worker.pid!);
  log(`worker started: ${before.rssMiB} MiB resident`);

  const ids = Array.from({ length: sessions }, (_, index) => `scale-${index}`);
  const launched: string[] = [];
  const touchAll = (which: string[]) => pool(which.length, 50, (index) => kernels.touch(which[index]!));
  let launching = true;
  const keepAlive = (async () => {
    while (launching) {
      await sleep(60_000);
      if (launching) await touchAll([...launched]);
    }
  })();
  const launchStarted = performance.now();
  await pool(ids.length, inFlight, async (index) => {
    const kernelId = ids[index]!;
    const user = `user-${index % users}`;
    await kernels.start(toKernelSessionInput({ kernelId, user, cullIdleTimeoutSeconds: timeoutOf(index) }, context));
    for (let status = await kernels.status(kernelId); status.phase !== 'RUNNING'; status = await kernels.status(kernelId)) {
      if (status.phase !== 'STARTING') throw new Error(`kernel ${kernelId}: ${status.phase} ${status.error ?? ''}`);
      await sleep(250);
    }
    launched.push(kernelId);
    if (launched.length % 100 === 0) log(`${launched.length} running`);
  });
  const launchSeconds = (performance.now() - launchStarted) / 1000;
  launching = false;
  await keepAlive;

  await touchAll(ids);
  await sleep(30_000);
  const idleFrom = usage(worker.pid!);
  await sleep(60_000);
  const idleTo = usage(worker.pid!);
  log(`${sessions} idle: ${idleTo.rssMiB} MiB resident`);

  const touched = Date.now();
  await touchAll(ids);
  const touchedIn = Date.now() - touched;
  log(`all touched in ${touchedIn} ms; waiting for the culls`);
  const handles = ids.map((kernelId) => temporal.client.workflow.getHandle(`kernel-${kernelId}`));
  let closedAt = 0;
  for (const handle of handles) {
    await handle.result().catch(() => undefined);
    closedAt = Math.max(closedAt, Date.now());
  }
  const lateness: number[] = [];
  await pool(ids.length, 20, async (index) => {
    const kernelId = ids[index]!;
    const status = await kernels.status(kernelId);
    if (status.phase !== 'CULLED') throw new Error(`kernel ${kernelId} ended ${status.phase}: ${status.error ?? ''}`);
    const culled = (await kernels.progress(kernelId)).at(-1)!;
    lateness.push(Date.parse(culled.at) - (Date.parse(status.lastActivity) + timeoutOf(index) * 1000));
  });
  const kube = new KubeConfig();
  kube.loadFromFile(stack.kubeconfig);
  const core = kube.makeApiClient(CoreV1Api);
  const left = (await core.listNamespace({ labelSelector: kindLabel })).items.filter((namespace) => namespace.status?.phase !== 'Terminating').length;

  const timeouts = spreadSeconds ? `idle timeouts ${cullSeconds}–${timeoutOf(sessions - 1)} s` : `idle timeout ${cullSeconds} s`;
  console.log(`${sessions} kernel sessions, ${users} users, launched ${inFlight} at a time in ${launchSeconds.toFixed(0)} s; ${timeouts}; worker cache ${config.maxCachedWorkflows} workflows\n`);
  console.log('| worker process | value |\n|---|---|');
  console.log(`| resident memory, no session | ${before.rssMiB} MiB |`);
  console.log(`| resident memory, ${sessions} idle sessions | ${idleTo.rssMiB} MiB |`);
  console.log(`| per idle session | ${((idleTo.rssMiB - before.rssMiB) * 1024 / sessions).toFixed(0)} KiB |`);
  console.log(`| CPU while ${sessions} sessions idle | ${((idleTo.cpuSeconds - idleFrom.cpuSeconds) / 60 * 100).toFixed(1)} % of one core |`);
  console.log('\n| cull lateness after the deadline (ms) | p50 | p99 | max |\n|---|---|---|---|');
  const deadlines = spreadSeconds ? `spread over ${spreadSeconds} s` : `touched within ${((touchedIn) / 1000).toFixed(0)} s`;
  console.log(`| ${sessions} deadlines ${deadlines} | ${percentile(lateness, 50)} | ${percentile(lateness, 99)} | ${Math.max(...lateness)} |`);
  console.log(`\nLast session closed (cleanup done) ${((closedAt - touched) / 1000 - timeoutOf(sessions - 1)).toFixed(0)} s after the last deadline; namespaces of ours left active: ${left}`);
  await temporal.close();
} finally {
  worker.kill('SIGTERM');
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
