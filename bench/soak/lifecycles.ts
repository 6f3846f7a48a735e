import { setTimeout as sleep } from 'node:timers/promises';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { GkeSimulator } from '../../src/local/gke-simulator/index.js';
import { sparkPiApp } from '../../test/integration/stack/spark-pi.js';
import type { SoakApiClient } from './api-client.js';
import { endedPhases, isAccepted, observe, type ObservedStatus, type SoakItem } from './items.js';
import type { ClusterPlan, JobPlan, KernelPlan } from './plan.js';

const exitCodeAnnotation = 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-exit-code';

export interface LifecycleContext {
  api: SoakApiClient;
  /** Deletes a pod behind the orchestrator's back, as an eviction or a node's failure would. */
  evictPod(namespace: string, name: string): Promise<void>;
  /** After this (epoch ms) a client stops waiting: what it waited for is then reported stuck. */
  giveUpAt: number;
}

const isEnded = (item: SoakItem): boolean => item.last !== undefined && endedPhases[item.plan.kind].includes(item.last.phase);

/**
 * Reads the item's status every `everyMs` until `done` holds, the soak terminated its workflow by
 * hand (its status then no longer moves), or the client gives up.
 */
async function follow(ctx: LifecycleContext, item: SoakItem, path: string, done: (status: ObservedStatus) => boolean, everyMs = 2_000): Promise<void> {
  while (Date.now() < ctx.giveUpAt && item.terminatedAt === undefined) {
    const answer = await ctx.api.call('GET', path);
    if (answer.status === 200) {
      const status = answer.body as ObservedStatus;
      observe(item, status);
      if (done(status)) return;
    }
    await sleep(everyMs);
  }
}

async function start(ctx: LifecycleContext, item: SoakItem, path: string, body: unknown): Promise<boolean> {
  const answer = await ctx.api.retried('POST', path, body);
  item.startStatus = answer.status;
  if (isAccepted(item)) item.acceptedAt = Date.now();
  else item.refusedCode = (answer.body as { error?: { code?: string } } | undefined)?.error?.code;
  return isAccepted(item);
}

/** A user's Spark job: submitted, perhaps cancelled after a while, followed until cleaned up. */
export async function runJob(ctx: LifecycleContext, item: SoakItem, plan: JobPlan): Promise<void> {
  const body = { jobId: plan.id, user: plan.user, app: sparkPiApp(plan.runSeconds, { [exitCodeAnnotation]: String(plan.exitCode) }) };
  if (!(await start(ctx, item, '/v1/spark-jobs', body))) return;
  const path = `/v1/spark-jobs/${plan.id}`;
  const cancel = async (): Promise<void> => {
    if (plan.cancelAfterSeconds === undefined) return;
    await sleep(plan.cancelAfterSeconds * 1000);
    if (isEnded(item) || item.terminatedAt !== undefined) return;
    item.asked.cancel = Date.now();
    await ctx.api.retried('POST', `${path}/cancel`, {});
  };
  await Promise.all([cancel(), follow(ctx, item, path, (status) => isEnded(item) && status.cleanedUp === true)]);
}

/** A kernel session: started, then culled when idle, or used (touched; perhaps its pod evicted, so the session restarts it) and shut down. */
export async function runKernel(ctx: LifecycleContext, item: SoakItem, plan: KernelPlan): Promise<void> {
  const body = { kernelId: plan.id, user: plan.user, cullIdleTimeoutSeconds: plan.cullIdleTimeoutSeconds, env: { KERNEL_LAUNCH_TIMEOUT: '180' } };
  if (!(await start(ctx, item, '/v1/kernels', body))) return;
  const path = `/v1/kernels/${plan.id}`;
  const cleanedUp = (status: ObservedStatus) => isEnded(item) && status.cleanedUp === true;
  await follow(ctx, item, path, (status) => status.phase !== 'STARTING', 1_000);
  if (plan.ending === 'culled' || isEnded(item) || item.terminatedAt !== undefined) {
    await follow(ctx, item, path, cleanedUp);
    return;
  }
  const keepUntil = Date.now() + plan.shutdownAfterSeconds * 1000;
  const restartAt = plan.ending === 'restarted' ? Date.now() + (plan.shutdownAfterSeconds * 1000) / 2 : Infinity;
  while (Date.now() < keepUntil && item.terminatedAt === undefined && Date.now() < ctx.giveUpAt) {
    const { namespace, pod } = item.last ?? {};
    if (Date.now() >= restartAt && item.asked.evict === undefined && namespace && pod) {
      item.asked.evict = Date.now();
      await ctx.evictPod(namespace, pod);
      await follow(ctx, item, path, (status) => ((status.restarts ?? 0) > 0 && status.phase === 'RUNNING') || isEnded(item), 1_000);
    } else if (plan.touchEverySeconds !== undefined) {
      await ctx.api.call('POST', `${path}/activity`);
    }
    await sleep((plan.touchEverySeconds ?? 1) * 1000);
  }
  if (item.terminatedAt !== undefined) return;
  item.asked.shutdown = Date.now();
  await ctx.api.retried('DELETE', path);
  await follow(ctx, item, path, cleanedUp);
}

/** A GKE cluster: its fault (if any) armed on the fake, created, kept a while, destroyed. */
export async function runCluster(ctx: LifecycleContext, item: SoakItem, plan: ClusterPlan, gke: GkeSimulator): Promise<void> {
  if (plan.fault === 'quota') gke.failNextCreateWithPermissionDenied('Insufficient regional quota to satisfy request: resource "CPUS": request requires \'4.0\' and is short \'2.0\'');
  if (plan.fault === 'operation-error') gke.failNextOperation('Google Compute Engine: the zone does not have enough resources available', { code: grpcStatus.RESOURCE_EXHAUSTED });
  if (!(await start(ctx, item, '/v1/clusters', { name: plan.name, provider: 'gke', gke: { connection: 'simulator', nodePools: ['small'] } }))) return;
  const path = `/v1/clusters/${plan.name}`;
  await follow(ctx, item, path, (status) => status.phase !== 'PROVISIONING', 500);
  if (!isEnded(item) && item.terminatedAt === undefined) {
    await sleep(plan.keepSeconds * 1000);
    item.asked.destroy = Date.now();
    await ctx.api.retried('DELETE', path);
  }
  await follow(ctx, item, path, () => isEnded(item), 1_000);
}
