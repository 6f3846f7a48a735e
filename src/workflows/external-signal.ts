import { getExternalWorkflowHandle, type SignalDefinition } from '@temporalio/workflow';

/**
 * Signals another workflow that may not be running: a kernel's quota workflow when no limit is
 * configured, a cluster workflow for a cluster that has none. Nothing to tell is not a failure.
 */
export async function signalIfRunning<Args extends unknown[]>(workflowId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<void> {
  try {
    await getExternalWorkflowHandle(workflowId).signal(signal, ...args);
  } catch (error) {
    if (!(error instanceof Error && /not found/i.test(error.message))) throw error;
  }
}
