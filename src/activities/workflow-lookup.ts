import { WorkflowNotFoundError, type Client } from '@temporalio/client';

export type WorkflowState = 'running' | 'closed' | 'missing';

export function workflowLookupActivities(temporal: Client) {
  return {
    /** Whether the latest run of each workflow id is running, has ended, or never ran. */
    async workflowStates({ workflowIds }: { workflowIds: string[] }): Promise<Record<string, WorkflowState>> {
      const states: Record<string, WorkflowState> = {};
      for (const workflowId of workflowIds) {
        try {
          const { status } = await temporal.workflow.getHandle(workflowId).describe();
          states[workflowId] = status.name === 'RUNNING' ? 'running' : 'closed';
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          states[workflowId] = 'missing';
        }
      }
      return states;
    },
  };
}
