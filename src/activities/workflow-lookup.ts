import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { OwnerState } from '../domain/janitor.js';

export type WorkflowState = OwnerState;

/** Whether the latest run of each workflow id is running, has ended, or never ran. */
export async function lookUpWorkflowStates(temporal: Client, workflowIds: Iterable<string>): Promise<Record<string, WorkflowState>> {
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
}

export function workflowLookupActivities(temporal: Client) {
  return {
    workflowStates: ({ workflowIds }: { workflowIds: string[] }): Promise<Record<string, WorkflowState>> => lookUpWorkflowStates(temporal, workflowIds),
  };
}
