import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { ComputeKind } from '../domain/labels.js';
import { searchAttributeKeys } from '../domain/search-attributes.js';

export interface StartOnce {
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  args: unknown[];
  /** What operators filter on in the Web UI. */
  attributes: { user: string; kind: ComputeKind; namespace: string; cluster: string };
  /** Names that may be used again once their workflow has ended (clusters); ids are forever by default. */
  reuseAfterEnd?: boolean;
}

/**
 * Starts a workflow unless one with the same id ever ran (or, with `reuseAfterEnd`, runs): the id
 * is the client's idempotency key, so a second request returns the existing run
 * (`existing: true`), never a duplicate.
 */
export async function startOnce(client: Client, start: StartOnce): Promise<{ existing: boolean }> {
  try {
    await client.workflow.start(start.workflowType, {
      workflowId: start.workflowId,
      taskQueue: start.taskQueue,
      args: start.args,
      workflowIdReusePolicy: start.reuseAfterEnd ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
      // A cluster has no namespace: an empty attribute would only clutter the Web UI's filters.
      typedSearchAttributes: ([
        { key: searchAttributeKeys.dssUser, value: start.attributes.user },
        { key: searchAttributeKeys.computeKind, value: start.attributes.kind },
        { key: searchAttributeKeys.k8sNamespace, value: start.attributes.namespace },
        { key: searchAttributeKeys.clusterName, value: start.attributes.cluster },
      ] as const).filter((pair) => pair.value !== ''),
    });
    return { existing: false };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { existing: true };
    throw error;
  }
}
