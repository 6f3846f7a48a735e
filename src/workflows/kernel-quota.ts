import {
  ApplicationFailure, allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, defineUpdate, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { kernelWorkflowId } from '../domain/kernel-workflow-ids.js';

export interface SlotRequest {
  kernelId: string;
  /** The limit the caller enforces; the API's configuration, the same on every replica. */
  limit: number;
}

export const acquireKernelSlot = defineUpdate<{ held: number }, [SlotRequest]>('acquire');
export const releaseKernelSlot = defineSignal<[string]>('release');
export const kernelSlotsQuery = defineQuery<string[]>('slots');

/** A slot whose kernel is not found yet may belong to a start in flight: it is kept this long. */
const startGraceMs = 60_000;
const historyEventLimit = 2_000;

const lookups = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});

/**
 * The kernels one user holds, one workflow per user: every API replica asks it for a slot before
 * starting a kernel, so the per-user limit holds across replicas. Updates run one at a time.
 * Each session releases its slot after its cleanup; slots of sessions that ended without doing so
 * (terminated by hand, or an API replica that died between acquiring and starting) are found and
 * freed when the limit is reached.
 */
export async function kernelQuota(user: string, held: Record<string, number> = {}): Promise<void> {
  const slots = new Map(Object.entries(held));
  let queue: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = queue.then(work);
    queue = turn.catch(() => undefined);
    return turn;
  };

  const freeEndedSessions = async (): Promise<void> => {
    const states = await lookups.workflowStates({ workflowIds: [...slots.keys()].map(kernelWorkflowId) });
    for (const [kernelId, since] of [...slots]) {
      const state = states[kernelWorkflowId(kernelId)];
      if (state === 'closed' || (state === 'missing' && Date.now() - since >= startGraceMs)) slots.delete(kernelId);
    }
  };

  setHandler(acquireKernelSlot, ({ kernelId, limit }) => oneAtATime(async () => {
    if (!slots.has(kernelId) && slots.size >= limit) await freeEndedSessions();
    if (!slots.has(kernelId) && slots.size >= limit) {
      throw ApplicationFailure.nonRetryable(`user '${user}' already has ${slots.size} kernels, the limit is ${limit}: shut one down first`, 'KernelLimitExceeded');
    }
    if (!slots.has(kernelId)) slots.set(kernelId, Date.now());
    return { held: slots.size };
  }));
  setHandler(releaseKernelSlot, (kernelId) => {
    slots.delete(kernelId);
  });
  setHandler(kernelSlotsQuery, () => [...slots.keys()]);

  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyEventLimit);
  await condition(allHandlersFinished);
  await continueAsNew<typeof kernelQuota>(user, Object.fromEntries(slots));
}
