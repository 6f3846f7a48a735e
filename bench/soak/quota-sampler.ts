import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { kindLabel, managedByLabel, managedByValue, workflowIdAnnotation } from '../../src/domain/labels.js';
import type { SoakItem } from './items.js';
import { soakLimits } from './soak-stack.js';

export interface QuotaExcess {
  user: string;
  kind: 'spark-job' | 'kernel';
  held: number;
  limit: number;
  workflowIds: string[];
  at: number;
}

/**
 * Samples, every `everyMs`, what each user holds on the cluster: Spark jobs with a service account,
 * kernels with a pod, each counted once per workflow. A workflow the soak terminated by hand holds
 * no slot (the quota frees it) though its objects wait for the janitor: it is not counted.
 */
export class QuotaSampler {
  readonly excesses: QuotaExcess[] = [];
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly core: CoreV1Api;

  constructor(adminKubeconfig: string, private readonly items: Map<string, SoakItem>, private readonly everyMs = 2_000) {
    const config = new KubeConfig();
    config.loadFromFile(adminKubeconfig);
    this.core = config.makeApiClient(CoreV1Api);
  }

  start(): void {
    const tick = async (): Promise<void> => {
      await this.sample().catch(() => undefined);
      this.timer = setTimeout(() => void tick(), this.everyMs);
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async sample(): Promise<void> {
    const selector = (kind: string) => `${managedByLabel}=${managedByValue},${kindLabel}=${kind}`;
    const [accounts, pods] = await Promise.all([
      this.core.listServiceAccountForAllNamespaces({ labelSelector: selector('spark-job') }),
      this.core.listPodForAllNamespaces({ labelSelector: selector('kernel') }),
    ]);
    const at = Date.now();
    this.samples += 1;
    for (const [kind, objects, limit] of [['spark-job', accounts.items, soakLimits.sparkJobsPerUser], ['kernel', pods.items, soakLimits.kernelsPerUser]] as const) {
      const heldBy = new Map<string, Set<string>>();
      for (const object of objects) {
        const item = this.items.get(object.metadata?.annotations?.[workflowIdAnnotation] ?? '');
        if (!item || item.terminatedAt !== undefined || !('user' in item.plan)) continue;
        heldBy.set(item.plan.user, (heldBy.get(item.plan.user) ?? new Set()).add(item.workflowId));
      }
      for (const [user, workflowIds] of heldBy) {
        if (workflowIds.size > limit) this.excesses.push({ user, kind, held: workflowIds.size, limit, workflowIds: [...workflowIds], at });
      }
    }
  }
}
