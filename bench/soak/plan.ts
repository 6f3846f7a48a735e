import { seededRandom } from '../../test/fault-proxy/index.js';

/** A simulated Spark driver: it runs `runSeconds` and exits `exitCode`, unless the job is cancelled first. */
export interface JobPlan {
  kind: 'spark-job';
  id: string;
  user: string;
  runSeconds: number;
  exitCode: number;
  cancelAfterSeconds?: number;
}

/** How a kernel session is meant to end: culled when idle, shut down by its client, or shut down after its pod was evicted once (the session starts it again). */
export type KernelEnding = 'culled' | 'shutdown' | 'restarted';

export interface KernelPlan {
  kind: 'kernel';
  id: string;
  user: string;
  ending: KernelEnding;
  cullIdleTimeoutSeconds: number;
  /** Seconds after it is RUNNING that its client shuts it down (not for `culled`). */
  shutdownAfterSeconds: number;
  /** The client reports activity this often while it keeps the kernel. */
  touchEverySeconds?: number;
}

/** A GKE cluster on the local GKE API; `fault` is what the fake does to its creation. */
export interface ClusterPlan {
  kind: 'cluster';
  name: string;
  fault: 'none' | 'operation-error' | 'quota';
  keepSeconds: number;
}

export type Plan = JobPlan | KernelPlan | ClusterPlan;

export interface Arrival {
  atMs: number;
  plan: JobPlan | KernelPlan;
}

export const sparkUsers = ['soak-s0', 'soak-s1', 'soak-s2', 'soak-s3'];
export const kernelUsers = ['soak-k0', 'soak-k1', 'soak-k2'];

/** Rolls from one seeded stream: the same seed draws the same soak. */
export class Dice {
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  /** An integer from `low` to `high`, both included. */
  between(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** Exponentially distributed, of mean `mean`: the gaps of a Poisson arrival process. */
  gap(mean: number): number {
    return -Math.log(1 - this.random()) * mean;
  }
}

/**
 * The jobs and kernels of a soak of `durationMs`, arriving one every `meanGapMs` on average. The
 * first Spark user gets a third of the jobs, so that it lives at its limit (and is refused).
 */
export function drawArrivals(seed: number, durationMs: number, meanGapMs: number): Arrival[] {
  const dice = new Dice(seed);
  const arrivals: Arrival[] = [];
  for (let at = dice.gap(meanGapMs), index = 0; at < durationMs; at += dice.gap(meanGapMs), index++) {
    const id = `soak-${seed}-${index}`;
    if (dice.chance(0.6)) {
      arrivals.push({
        atMs: at,
        plan: {
          kind: 'spark-job', id: `job-${id}`, user: dice.chance(1 / 3) ? sparkUsers[0]! : dice.pick(sparkUsers),
          runSeconds: dice.between(1, 20), exitCode: dice.chance(0.8) ? 0 : dice.between(1, 3),
          ...(dice.chance(0.15) ? { cancelAfterSeconds: dice.between(1, 10) } : {}),
        },
      });
    } else {
      const ending = dice.pick(['culled', 'shutdown', 'shutdown', 'restarted'] as const);
      arrivals.push({
        atMs: at,
        plan: {
          kind: 'kernel', id: `k-${id}`, user: dice.pick(kernelUsers), ending,
          cullIdleTimeoutSeconds: ending === 'culled' ? dice.between(8, 25) : 900,
          shutdownAfterSeconds: dice.between(5, 30),
          ...(ending !== 'culled' && dice.chance(0.5) ? { touchEverySeconds: 3 } : {}),
        },
      });
    }
  }
  return arrivals;
}

/** The next cluster of the cluster lane: most are created and destroyed; some meet a fault of the fake GKE. */
export function drawCluster(dice: Dice, seed: number, index: number): ClusterPlan {
  const roll = dice.between(1, 10);
  return { kind: 'cluster', name: `soak-${seed}-c${index}`, fault: roll === 1 ? 'quota' : roll === 2 ? 'operation-error' : 'none', keepSeconds: dice.between(5, 25) };
}
