/**
 * Idle kernel sessions held by one worker, on the embedded stack (real Temporal, control plane,
 * kwok): N sessions are launched (`inFlight` at a time, at least 100 users, the per-user limit on),
 * kept alive by touches while the rest launch, then all touched at once and left idle. Reported:
 * the worker process's resident memory once its start has settled, at the start of `idleSeconds`
 * with N idle sessions and at their end (what idling costs over time), the CPU of the worker and
 * of each component of the stack while they idle, the status reads answered 503 while launching
 * (the worker too busy to answer within a read's patience), and how late the idle cull then fires
 * against each deadline (lastActivity + timeout, by the session's own clock), how long until every
 * session has cleaned up, and the CPU each component spent from the touch on. With `spreadSeconds`,
 * the timeouts are spread evenly over that much more, so the deadlines are too (users who stop at
 * different moments); without, they all fall within the seconds the touches take.
 * With `afterIdle` `stop`, the run ends after the idle measurement, the sessions still running,
 * and the stack is stopped with them: for memory at a scale whose culls would take long to wait
 * out (5,000 sessions with a timeout longer than their launch).
 * The worker's cache is WORKER_MAX_CACHED_WORKFLOWS from the environment (its default otherwise).
 * Usage: npm run bench:kernel-scale -- [sessions=1000] [inFlight=20] [cullIdleTimeoutSeconds=240, at least idleSeconds + 90] [spreadSeconds=0] [idleSeconds=60] [afterIdle=cull|stop]
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelsClient } from '../src/client/kernels.js';
import { toKernelSessionInput } from '../src/client/kernel-request.js';
import { kernelContext } from '../src/client/kernel-catalog.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import { DomainError } from '../src/domain/errors.js';
import { kindLabel } from '../src/domain/labels.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { localSparkSubmitEnv, repoRoot } from '../src/local/paths.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { writeKernelSpecs } from '../test/integration/stack/simulated-kernels.js';
import { percentile } from './percentile.js';
import { cpuSeconds, rssMiB } from './process-usage.js';
import { pool } from './pool.js';

const sessions = Number(process.argv[2] ?? 1000);
const inFlight = Number(process.argv[3] ?? 20);
const cullSeconds = Number(process.argv[4] ?? 240);
const spreadSeconds = Number(process.argv[5] ?? 0);
const idleSeconds = Number(process.argv[6] ?? 60);
const afterIdle = process.argv[7] ?? 'cull';
if (afterIdle !== 'cull' && afterIdle !== 'stop') throw new Error(`afterIdle must be cull or stop, got ${afterIdle}`);
// The sessions idle 30 s and then idleSeconds to be measured (after a touch of them all): none may be culled before.
if (!(idleSeconds >= 10)) throw new Error(`idleSeconds must be at least 10, got ${process.argv[6]}`);
if (!(cullSeconds >= idleSeconds + 90)) throw new Error(`cullIdleTimeoutSeconds must be at least idleSeconds + 90 = ${idleSeconds + 90}, got ${process.argv[4]}`);
/** Kernel `index`'s idle timeout. */
const timeoutOf = (index: number): number => cullSeconds + Math.floor((index * spreadSeconds) / sessions);
const stateDir = join(tmpdir(), `bench-kernel-scale-${process.pid}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.error(`[${new Date().toISOString()}] ${line}`);

/** Resident memory (MiB) and CPU time (s) of a process, from /proc. */
function usage(pid: number): { rssMiB: number; cpuSeconds: number } {
  return { rssMiB: rssMiB(pid), cpuSeconds: cpuSeconds(pid).own };
}

/** The worker's memory once its start-up has settled: two samples 10 s apart within 2 %, or after 2 minutes. */
async function settledUsage(pid: number): Promise<{ rssMiB: number; cpuSeconds: number }> {
  let last = usage(pid);
  for (let waited = 0; waited < 120_000; waited += 10_000) {
    await sleep(10_000);
    const next = usage(pid);
    if (Math.abs(next.rssMiB - last.rssMiB) <= last.rssMiB * 0.02) return next;
    last = next;
  }
  return last;
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
  // As the worker reads it: its own environment, this one included (WORKER_MAX_CACHED_WORKFLOWS, say).
  const config = loadRuntimeConfig({ ...process.env, ...env });
  const temporal = await connectTemporal(config);
  const kernels = new KernelsClient(temporal.client, config.taskQueue, config.kernelMaxPerUser);
  const context = kernelContext(config);
  // Every user at most at the per-user limit (10 by default): every start still goes through a quota workflow.
  const users = Math.max(100, Math.ceil(sessions / config.kernelMaxPerUser));
  const before = await settledUsage(worker.pid!);
  log(`worker started: ${before.rssMiB} MiB resident`);

  const ids = Array.from({ length: sessions }, (_, index) => `scale-${index}`);
  const launched: string[] = [];
  /** When each running kernel was last active: launched or touched. */
  const activeAt = new Map<string, number>();
  const touchAll = (which: string[]) => pool(which.length, 50, async (index) => {
    await kernels.touch(which[index]!);
    activeAt.set(which[index]!, Date.now());
  });
  let launching = true;
  // Each kernel touched once half its idle timeout has passed, not all at once: a touch is a
  // workflow task, load the launches would meet.
  const keepAlive = (async () => {
    while (launching) {
      await sleep(10_000);
      if (launching) await touchAll(launched.filter((kernelId) => Date.now() - activeAt.get(kernelId)! >= cullSeconds * 500));
    }
  })();
  // A read the worker is too busy to answer within its patience is 503: counted, and asked again.
  let unanswered = 0;
  const statusWhenAnswered = async (kernelId: string) => {
    try {
      return await kernels.status(kernelId);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'UNAVAILABLE')) throw error;
      unanswered++;
      return undefined;
    }
  };
  const launchStarted = performance.now();
  await pool(ids.length, inFlight, async (index) => {
    const kernelId = ids[index]!;
    const user = `user-${index % users}`;
    await kernels.start(toKernelSessionInput({ kernelId, user, cullIdleTimeoutSeconds: timeoutOf(index) }, context));
    for (let status = await statusWhenAnswered(kernelId); status?.phase !== 'RUNNING'; status = await statusWhenAnswered(kernelId)) {
      if (status && status.phase !== 'STARTING') throw new Error(`kernel ${kernelId}: ${status.phase} ${status.error ?? ''}`);
      await sleep(250);
    }
    launched.push(kernelId);
    activeAt.set(kernelId, Date.now());
    if (launched.length % 100 === 0) log(`${launched.length} running`);
  });
  const launchSeconds = (performance.now() - launchStarted) / 1000;
  launching = false;
  await keepAlive;

  const components = [{ name: 'worker', pid: worker.pid! }, ...stack.processes.map((process) => ({ name: process.name, pid: process.pid! }))];
  const cpuOfAll = () => components.map(({ pid }) => cpuSeconds(pid).own);
  const cpuBefore = cpuOfAll();
  // The touch that sets every deadline; the sessions idle from here until their culls.
  const touched = Date.now();
  await touchAll(ids);
  const touchedIn = Date.now() - touched;
  await sleep(30_000);
  const idleFrom = usage(worker.pid!);
  const idleCpuFrom = cpuOfAll();
  log(`${sessions} idle: ${idleFrom.rssMiB} MiB resident`);
  await sleep(idleSeconds * 1000);
  const idleTo = usage(worker.pid!);
  const idleCpu = cpuOfAll().map((seconds, index) => `${components[index]!.name} ${((seconds - idleCpuFrom[index]!) / idleSeconds * 100).toFixed(1)} %`);
  log(`${sessions} idle ${idleSeconds} s later: ${idleTo.rssMiB} MiB resident${afterIdle === 'cull' ? '; waiting for the culls' : ''}`);
  const timeouts = spreadSeconds ? `idle timeouts ${cullSeconds}–${timeoutOf(sessions - 1)} s` : `idle timeout ${cullSeconds} s`;
  console.log(`${sessions} kernel sessions, ${users} users, launched ${inFlight} at a time in ${launchSeconds.toFixed(0)} s; ${timeouts}; worker cache ${config.maxCachedWorkflows} workflows`);
  console.log(`Status reads answered 503 (worker too busy) while launching: ${unanswered}\n`);
  console.log('| worker process | value |\n|---|---|');
  console.log(`| resident memory, no session | ${before.rssMiB} MiB |`);
  console.log(`| resident memory, ${sessions} idle sessions | ${idleFrom.rssMiB} MiB |`);
  console.log(`| per idle session | ${((idleFrom.rssMiB - before.rssMiB) * 1024 / sessions).toFixed(0)} KiB |`);
  console.log(`| resident memory ${idleSeconds} s later | ${idleTo.rssMiB} MiB (${((idleTo.rssMiB - idleFrom.rssMiB) / idleSeconds * 60).toFixed(1)} MiB a minute) |`);
  console.log(`| CPU while ${sessions} sessions idle | ${((idleTo.cpuSeconds - idleFrom.cpuSeconds) / idleSeconds * 100).toFixed(1)} % of one core |`);
  console.log(`\nCPU while idle, each component, % of one core: ${idleCpu.join(', ')}`);
  if (afterIdle === 'stop') {
    console.log('\nStopped after the idle measurement (afterIdle stop): the sessions were not culled.');
  } else {
    const handles = ids.map((kernelId) => temporal.client.workflow.getHandle(`kernel-${kernelId}`));
    let closedAt = 0;
    for (const handle of handles) {
      await handle.result().catch(() => undefined);
      closedAt = Math.max(closedAt, Date.now());
    }
    const cullCpu = cpuOfAll().map((seconds, index) => `${components[index]!.name} ${(seconds - cpuBefore[index]!).toFixed(0)} s`);
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

    console.log('\n| cull lateness after the deadline (ms) | p50 | p99 | max |\n|---|---|---|---|');
    const deadlines = spreadSeconds ? `spread over ${spreadSeconds} s` : `touched within ${((touchedIn) / 1000).toFixed(0)} s`;
    console.log(`| ${sessions} deadlines ${deadlines} | ${percentile(lateness, 50)} | ${percentile(lateness, 99)} | ${Math.max(...lateness)} |`);
    console.log(`\nLast session closed (cleanup done) ${((closedAt - touched) / 1000 - timeoutOf(sessions - 1)).toFixed(0)} s after the last deadline; namespaces of ours left active: ${left}`);
    console.log(`CPU from the last touch until every session closed: ${cullCpu.join(', ')}`);
  }
  await temporal.close();
} finally {
  worker.kill('SIGTERM');
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
