import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/** A signal for a workflow that may have ended, or never run. */
export interface WorkflowSignal {
  workflowId: string;
  signal: string;
  args: unknown[];
}

/**
 * Signals from an activity rather than from the workflow: run as a local activity in the
 * workflow task that ends a job, they cost no further round trip through the server, where the
 * workflow's own signals must be confirmed before it may close (the server drops the signals of
 * a workflow that has closed). A workflow that is not running is nothing to tell; each signal
 * sent so must mean the same when a retry sends it twice.
 */
export function workflowSignalActivities(temporal: Client) {
  return {
    async signalWorkflows({ signals }: { signals: WorkflowSignal[] }): Promise<void> {
      await Promise.all(signals.map(async ({ workflowId, signal, args }) => {
        try {
          await temporal.workflow.getHandle(workflowId).signal(signal, ...args);
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }));
    },
  };
}
