import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { floorActivities } from './activities.js';

const local = proxyLocalActivities<typeof floorActivities>({ startToCloseTimeout: '10s' });
const remote = proxyActivities<typeof floorActivities>({ startToCloseTimeout: '10s' });

/** A Spark identity's setup with nothing in it: local calls in the first workflow task, then one activity. */
export async function floorWorkflow(localCalls: number): Promise<void> {
  for (let call = 0; call < localCalls; call++) await local.noop();
  await remote.noop();
}
