import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTemporal } from '../../src/client/temporal.js';
import { loadRuntimeConfig } from '../../src/config.js';
import { SoakApiClient } from './api-client.js';
import { drawFaults, FaultRunner, waitForHealthy } from './faults.js';
import { createForeignObjects } from './foreign-objects.js';
import {
  checkCreatedOnce, checkEnds, checkForeignUntouched, checkNo5xxWhileUp, checkNothingLeft, describeAll, scanLogsAndHistories, type Violation,
} from './invariants.js';
import { newItem, type SoakItem } from './items.js';
import { runCluster, runJob, runKernel, type LifecycleContext } from './lifecycles.js';
import { Dice, drawArrivals, drawCluster } from './plan.js';
import { QuotaSampler } from './quota-sampler.js';
import { itemSummaries, latencies, loadSummary, violationCounts, type SoakReport } from './report.js';
import { SecretScanner } from './secret-scan.js';
import { soakOperatorToken, startSoakStack } from './soak-stack.js';

export interface SoakOptions {
  minutes: number;
  seed: number;
  /** false: the same load without any fault, for comparison. */
  faults: boolean;
  /** Where the stack keeps its state and logs; a fresh temporary directory by default. */
  dir?: string;
  /** Progress lines, as the soak goes. */
  log?: (line: string) => void;
  /** Mean gap between two job or kernel arrivals. */
  meanGapMs?: number;
}

/** After the load stops: how long the last jobs, kernels and clusters get to end before they count as stuck. */
const drainMs = 5 * 60_000;

/** Deletes a pod as an eviction would, trying again while the API server is away (a restart, say). */
async function evict(core: CoreV1Api, namespace: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) return;
      if (attempt === 30) throw error;
      await sleep(2_000);
    }
  }
}

function adminClient(kubeconfig: string): CoreV1Api {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return config.makeApiClient(CoreV1Api);
}
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));

/**
 * A mixed load of Spark jobs, kernel sessions and GKE clusters on a stack of its own while faults
 * drawn from the seed hit it; then the janitor, and every invariant checked. Resolves with the
 * report (violations included); rejects only when the soak itself could not run.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'soak-'));
  const durationMs = options.minutes * 60_000;
  log(`stack in ${dir}`);
  const stack = await startSoakStack(dir, options.seed);
  const temporal = await connectTemporal(loadRuntimeConfig({ TEMPORAL_ADDRESS: stack.temporalAddress, CODEC_KEYS_FILE: stack.codecKeysFile }));
  try {
    await stack.startWorker('worker-1');
    await stack.startApi();
    await waitForHealthy(stack.apiUrl, 120_000);
    const foreign = await createForeignObjects(stack.adminKubeconfig);
    const scanner = new SecretScanner(soakOperatorToken, stack.codecKeysFile);
    const api = new SoakApiClient(stack.apiUrl, soakOperatorToken, (where, text) => scanner.scan(where, text));
    const items = new Map<string, SoakItem>();
    const sampler = new QuotaSampler(stack.adminKubeconfig, items);
    const faults = new FaultRunner(stack, temporal.client, () => [...items.values()], options.seed);
    const startedAt = Date.now();
    const core = adminClient(stack.adminKubeconfig);
    const ctx: LifecycleContext = {
      api, giveUpAt: startedAt + durationMs + drainMs,
      evictPod: (namespace, name) => evict(core, namespace, name),
    };
    const scripts: Array<Promise<void>> = [];
    // A failure of the soak's own client is reported with its item, never lost in a rejection.
    const launch = (item: SoakItem, script: () => Promise<void>): void => {
      items.set(item.workflowId, item);
      scripts.push(script().catch((error: unknown) => {
        item.clientError = error instanceof Error ? error.message : String(error);
      }));
    };
    log(`load for ${options.minutes} min ${options.faults ? 'under faults' : 'without faults'}`);
    sampler.start();
    const arrivals = (async () => {
      for (const { atMs, plan } of drawArrivals(options.seed, durationMs, options.meanGapMs ?? 1_500)) {
        await sleepUntil(startedAt + atMs);
        const item = newItem(plan);
        launch(item, () => (plan.kind === 'spark-job' ? runJob(ctx, item, plan) : runKernel(ctx, item, plan)));
      }
    })();
    const clusterLane = (async () => {
      const dice = new Dice(options.seed + 1);
      for (let index = 0; Date.now() < startedAt + durationMs; index++) {
        const plan = drawCluster(dice, options.seed, index);
        const item = newItem(plan);
        launch(item, () => runCluster(ctx, item, plan, stack.gke.simulator));
        await scripts.at(-1);
      }
    })();
    const faultSchedule = (async () => {
      if (!options.faults) return;
      faults.startBackgroundErrors();
      for (const fault of drawFaults(options.seed + 3, durationMs)) {
        await sleepUntil(startedAt + fault.atMs);
        log(`fault: ${fault.kind}`);
        await faults.run(fault);
      }
    })();
    await arrivals;
    await faultSchedule;
    await faults.settle();
    log('load stopped; waiting for what is in flight to end');
    await Promise.all([clusterLane, ...scripts]);
    sampler.stop();

    log('janitor');
    await sleep(6_000);
    const janitor = await api.retried('POST', '/v1/janitor/run');
    const violations: Violation[] = [];
    if (janitor.status !== 200) violations.push({ invariant: 'nothing-left', detail: `the janitor's run answered ${janitor.status}` });
    // What the janitor deleted may take a moment to go (a pod's termination, a namespace's finalizers).
    let left = await checkNothingLeft(stack.adminKubeconfig, stack.gke.presetsFile);
    for (let attempt = 0; left.length > 0 && attempt < 30; attempt++) {
      await sleep(2_000);
      left = await checkNothingLeft(stack.adminKubeconfig, stack.gke.presetsFile);
    }
    log('checking invariants');
    const all = [...items.values()];
    const described = await describeAll(temporal, all);
    const historiesScanned = await scanLogsAndHistories(scanner, stack.logDir, temporal);
    const creations = checkCreatedOnce(stack.logDir, all, stack.gke.simulator);
    violations.push(
      ...await checkEnds(temporal, all, described),
      ...left,
      ...await checkForeignUntouched(foreign),
      ...creations.violations,
      ...sampler.excesses.map((excess) => ({
        invariant: 'user-limit' as const, workflowId: excess.workflowIds.join(', '),
        detail: `${excess.user} held ${excess.held} ${excess.kind}s (limit ${excess.limit}) at ${new Date(excess.at).toISOString()}`,
      })),
      ...scanner.sightings.map((sighting) => ({ invariant: 'no-secret' as const, detail: `${sighting.what} in ${sighting.where}` })),
      ...checkNo5xxWhileUp(api.calls, faults.downtime),
    );
    const proxyStats = stack.proxy.stats();
    return {
      seed: options.seed, minutes: options.minutes, faults: options.faults,
      load: loadSummary(all, api.calls),
      faultsInjected: faults.injected,
      kubernetesFaults: { received: proxyStats.received, ...Object.fromEntries(Object.entries(proxyStats.statuses).map(([status, value]) => [`HTTP ${status}`, value])), 'cut by an outage': proxyStats.cuts },
      downtime: faults.downtime,
      faultErrors: faults.errors,
      latencies: latencies(all, described),
      quotaSamples: sampler.samples,
      historiesScanned,
      driversResubmittedAfterRollback: creations.resubmittedAfterRollback,
      violations,
      violationCounts: violationCounts(violations),
      items: itemSummaries(all, startedAt),
    };
  } finally {
    await temporal.close();
    await stack.stop();
  }
}
