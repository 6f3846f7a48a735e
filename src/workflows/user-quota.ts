import {
  ApplicationFailure, allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, defineUpdate, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { WorkflowSignal } from '../activities/workflow-signals.js';
import { limitMessage, type QuotaOwner } from '../domain/user-quota.js';
import { userQuotaWorkflowId } from '../domain/workflow-ids.js';
import { signalIfRunning } from './external-signal.js';
import { historyIsLong } from './history-length.js';

export interface SlotRequest {
  /** The kernel session or Spark job taking the slot. */
  workflowId: string;
  /** The limit the caller enforces; the API's configuration, the same on every replica. */
  limit: number;
}

export const acquireSlot = defineUpdate<{ held: number }, [SlotRequest]>('acquire');
export const releaseSlot = defineSignal<[string]>('release');
export const slotsQuery = defineQuery<string[]>('slots');

/** A slot whose workflow is not found yet may belong to a start in flight: it is kept this long. */
const startGraceMs = 60_000;
const historyEventLimit = 2_000;

const lookups = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});

/**
 * The kernels (or the Spark jobs in flight) one user holds, one workflow per user and kind:
 * every API replica asks it for a slot before starting one, so the per-user limit holds across
 * replicas. Updates run one at a time. Each kernel or job releases its slot after its cleanup;
 * slots of workflows that ended without doing so (terminated by hand, or an API replica that died
 * between acquiring and starting) are found and freed when the limit is reached.
 */
export async function userQuota(owner: QuotaOwner, held: Record<string, number> = {}): Promise<void> {
  const slots = new Map(Object.entries(held));
  let queue: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = queue.then(work);
    queue = turn.catch(() => undefined);
    return turn;
  };

  const freeEnded = async (): Promise<void> => {
    const states = await lookups.workflowStates({ workflowIds: [...slots.keys()] });
    for (const [workflowId, since] of [...slots]) {
      const state = states[workflowId];
      if (state === 'closed' || (state === 'missing' && Date.now() - since >= startGraceMs)) slots.delete(workflowId);
    }
  };

  setHandler(acquireSlot, ({ workflowId, limit }) => oneAtATime(async () => {
    if (!slots.has(workflowId) && slots.size >= limit) await freeEnded();
    if (!slots.has(workflowId) && slots.size >= limit) throw ApplicationFailure.nonRetryable(limitMessage(owner, slots.size, limit), 'LimitExceeded');
    if (!slots.has(workflowId)) slots.set(workflowId, Date.now());
    return { held: slots.size };
  }));
  setHandler(releaseSlot, (workflowId) => {
    slots.delete(workflowId);
  });
  setHandler(slotsQuery, () => [...slots.keys()]);

  await condition(() => historyIsLong(historyEventLimit));
  await condition(allHandlersFinished);
  await continueAsNew<typeof userQuota>(owner, Object.fromEntries(slots));
}

/**
 * Gives a kernel's or job's slot back, from its own workflow after its cleanup. Without a quota
 * workflow (no limit configured, or started before one) there is nothing to release.
 */
export function releaseUserSlot(owner: QuotaOwner): Promise<void> {
  return signalIfRunning(userQuotaWorkflowId(owner.kind, owner.user), releaseSlot, workflowInfo().workflowId);
}

/** The same, as a signal an activity sends. */
export function slotReleaseNotice(owner: QuotaOwner): WorkflowSignal {
  return { workflowId: userQuotaWorkflowId(owner.kind, owner.user), signal: releaseSlot.name, args: [workflowInfo().workflowId] };
}
