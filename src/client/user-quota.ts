import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../domain/errors.js';
import { searchAttributeKeys } from '../domain/search-attributes.js';
import type { QuotaOwner } from '../domain/user-quota.js';
import { userQuotaWorkflowId } from '../domain/workflow-ids.js';
import { acquireSlot, releaseSlot } from '../workflows/user-quota.js';
import { startOnce, type StartOnce } from './workflow-start.js';

/**
 * Starts a kernel session or Spark job within its user's quota: takes a slot (409 LIMIT_EXCEEDED
 * when none is left), then starts; the same id again returns the existing one. A slot taken for
 * nothing (the start failed, or the id's workflow has already ended) is given back. `limit` 0: no quota.
 */
export async function startWithinQuota(client: Client, owner: QuotaOwner, limit: number, start: StartOnce): Promise<{ existing: boolean }> {
  if (limit <= 0) return startOnce(client, start);
  const quotaId = userQuotaWorkflowId(owner.kind, owner.user);
  const quota = new WithStartWorkflowOperation('userQuota', {
    workflowId: quotaId, taskQueue: start.taskQueue, args: [owner], workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: searchAttributeKeys.dssUser, value: owner.user }],
  });
  try {
    await client.workflow.executeUpdateWithStart(acquireSlot, { args: [{ workflowId: start.workflowId, limit }], startWorkflowOperation: quota });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'LimitExceeded') {
      throw new DomainError('LIMIT_EXCEEDED', error.cause.message);
    }
    throw error;
  }
  const giveBack = () => client.workflow.getHandle(quotaId).signal(releaseSlot, start.workflowId);
  let existing: boolean;
  try {
    ({ existing } = await startOnce(client, start));
  } catch (error) {
    await giveBack();
    throw error;
  }
  if (existing && (await client.workflow.getHandle(start.workflowId).describe()).status.name !== 'RUNNING') await giveBack();
  return { existing };
}
