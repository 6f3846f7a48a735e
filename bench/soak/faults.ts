import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { injectErrorRate, type InjectedRule } from '../../test/fault-proxy/index.js';
import { isAccepted, type SoakItem } from './items.js';
import { Dice } from './plan.js';
import type { SoakStack } from './soak-stack.js';

export const faultKinds = [
  'worker-kill', 'api-kill', 'second-worker', 'temporal-restart', 'apiserver-restart', 'kube-outage', 'error-burst', 'terminate',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface ScheduledFault {
  atMs: number;
  kind: FaultKind;
}

/** A stretch of time when a component the API depends on was down: 5xx answers are allowed then. */
export interface Downtime {
  component: 'api' | 'temporal';
  from: number;
  to: number;
}

/** One of each kind per cycle (two error bursts, three hand terminations) at seeded times, so that they overlap. */
export function drawFaults(seed: number, durationMs: number, cycleMs = 180_000): ScheduledFault[] {
  const dice = new Dice(seed);
  const cycles = Math.max(1, Math.round(durationMs / cycleMs));
  const length = durationMs / cycles;
  const perCycle: FaultKind[] = [...faultKinds, 'error-burst', 'terminate', 'terminate'];
  const faults: ScheduledFault[] = [];
  for (let cycle = 0; cycle < cycles; cycle++) {
    // Not in the last sixth of a cycle: each fault has time to bite before the load stops.
    for (const kind of perCycle) faults.push({ atMs: cycle * length + dice.between(0, Math.floor(length * 5 / 6)), kind });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

export const kubeOutageMs = 60_000;

/**
 * Runs the faults on the soak's stack: the primary worker (`worker-1`) and the API SIGKILLed and
 * started again, a second worker that joins and leaves, Temporal and kube-apiserver restarted,
 * the workers' API server unreachable for a minute, bursts of errors over the 10 % the proxy
 * fails throughout, and workflows terminated by hand.
 */
export class FaultRunner {
  readonly injected = Object.fromEntries(faultKinds.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  readonly downtime: Downtime[] = [];
  /** Faults that could not be injected or undone (the stack's doing, not the orchestrator's). */
  readonly errors: string[] = [];
  private readonly pending: Array<Promise<void>> = [];
  private outageOver: Promise<void> = Promise.resolve();
  private readonly background: InjectedRule[] = [];
  private readonly dice: Dice;

  constructor(private readonly stack: SoakStack, private readonly temporal: Client, private readonly items: () => SoakItem[], seed: number) {
    this.dice = new Dice(seed + 2);
  }

  /** The proxy fails 10 % of the workers' Kubernetes requests (500, 503, 429 alike) until `stop`. */
  startBackgroundErrors(): void {
    this.background.push(...injectErrorRate(this.stack.proxy, 0.1));
  }

  /** Injects `fault`; one that cannot be injected is recorded in `errors`, never thrown. */
  async run(fault: ScheduledFault): Promise<void> {
    this.injected[fault.kind] += 1;
    await this.inject(fault.kind).catch((error: unknown) => this.record(fault.kind, error));
  }

  private async inject(kind: FaultKind): Promise<void> {
    switch (kind) {
      case 'worker-kill':
        await this.stack.killWorker('worker-1');
        await this.stack.startWorker('worker-1');
        return;
      case 'api-kill':
        await this.whileDown('api', async () => {
          await this.stack.killApi();
          await this.stack.startApi();
        });
        return;
      case 'second-worker':
        await this.stack.startWorker('worker-2');
        this.later('second worker leaving', sleep(this.dice.between(20, 60) * 1000).then(() => this.stack.stopWorker('worker-2')));
        return;
      case 'temporal-restart':
        await this.whileDown('temporal', () => this.stack.restartTemporal());
        return;
      case 'apiserver-restart':
        await this.stack.restartApiserver();
        return;
      case 'kube-outage':
        // Two cycles' outages may fall together: the second follows the first, as one longer outage.
        this.outageOver = this.outageOver.then(() => this.stack.proxy.outage(kubeOutageMs));
        this.later('outage', this.outageOver);
        return;
      case 'error-burst': {
        const rules = injectErrorRate(this.stack.proxy, 0.5);
        this.later('error burst', sleep(10_000).then(() => rules.forEach((rule) => rule.remove())));
        return;
      }
      case 'terminate':
        await this.terminateOne();
    }
  }

  private later(what: string, undo: Promise<void>): void {
    this.pending.push(undo.catch((error: unknown) => this.record(what, error)));
  }

  private record(what: string, error: unknown): void {
    this.errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** Waits for faults still under way (a leaving worker, an outage), then lifts the background errors. */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
    for (const rule of this.background) rule.remove();
  }

  /** A job or kernel still running, terminated as an operator would a stuck one; clusters are not (the janitor sweeps Kubernetes objects, not GKE clusters). */
  private async terminateOne(): Promise<void> {
    const running = this.items().filter((item) => item.plan.kind !== 'cluster' && isAccepted(item) && !item.ended && item.terminatedAt === undefined);
    if (running.length === 0) return;
    const item = this.dice.pick(running);
    try {
      await this.temporal.workflow.getHandle(item.workflowId).terminate('soak: terminated by hand');
      item.terminatedAt = Date.now();
    } catch {
      // It ended meanwhile: nothing was terminated.
    }
  }

  /** `down` takes `component` away and back; the window lasts until the API answers /healthz 200 again. */
  private async whileDown(component: Downtime['component'], down: () => Promise<void>): Promise<void> {
    const from = Date.now();
    await down();
    await waitForHealthy(this.stack.apiUrl, 120_000);
    this.downtime.push({ component, from, to: Date.now() });
  }
}

/** Until the API answers /healthz 200: Temporal reached and a worker polling. */
export async function waitForHealthy(apiUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(5_000) }).then((response) => response.status, () => 0);
    if (status === 200) return;
    await sleep(250);
  }
  throw new Error(`the API at ${apiUrl} was not healthy within ${timeoutMs / 1000}s`);
}
