import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../domain/errors.js';
import type { KernelProgressStep, KernelSessionInput, KernelStatus } from '../domain/kernel-session.js';
import { kernelQuotaWorkflowId, kernelWorkflowId } from '../domain/kernel-workflow-ids.js';
import { searchAttributeKeys } from '../domain/search-attributes.js';
import { acquireKernelSlot, releaseKernelSlot } from '../workflows/kernel-quota.js';
import { kernelActivitySignal, kernelProgressQuery, kernelStatusQuery, shutdownKernelSignal, type ShutdownRequest } from '../workflows/kernel-session.js';
import { forWorkflow, signalRunning } from './workflow-errors.js';
import { startOnce } from './workflow-start.js';
import { buildListQuery } from './visibility-query.js';

export class KernelsClient {
  /** `maxPerUser`: concurrent kernels a user may hold; 0, no limit. */
  constructor(private readonly client: Client, private readonly taskQueue: string, private readonly maxPerUser = 0) {}

  /**
   * Takes a slot from the user's quota (409 LIMIT_EXCEEDED when none is left), then starts the session; the same
   * kernel id again returns the existing kernel. A slot taken for nothing is given back.
   */
  async start(input: KernelSessionInput): Promise<{ kernelId: string; workflowId: string; existing: boolean }> {
    const { plan } = input;
    if (this.maxPerUser > 0) await this.acquireSlot(plan.user, plan.kernelId);
    let existing: boolean;
    try {
      ({ existing } = await startOnce(this.client, {
        workflowType: 'kernelSession', workflowId: plan.workflowId, taskQueue: this.taskQueue, args: [input],
        attributes: { user: plan.user, kind: 'kernel', namespace: plan.namespace, cluster: input.cluster },
      }));
    } catch (error) {
      await this.releaseSlot(plan.user, plan.kernelId);
      throw error;
    }
    if (existing && this.maxPerUser > 0 && (await this.client.workflow.getHandle(plan.workflowId).describe()).status.name !== 'RUNNING') {
      await this.releaseSlot(plan.user, plan.kernelId);
    }
    return { kernelId: plan.kernelId, workflowId: plan.workflowId, existing };
  }

  private async acquireSlot(user: string, kernelId: string): Promise<void> {
    const quota = new WithStartWorkflowOperation('kernelQuota', {
      workflowId: kernelQuotaWorkflowId(user), taskQueue: this.taskQueue, args: [user], workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: searchAttributeKeys.dssUser, value: user }],
    });
    try {
      await this.client.workflow.executeUpdateWithStart(acquireKernelSlot, { args: [{ kernelId, limit: this.maxPerUser }], startWorkflowOperation: quota });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'KernelLimitExceeded') {
        throw new DomainError('LIMIT_EXCEEDED', error.cause.message);
      }
      throw error;
    }
  }

  private async releaseSlot(user: string, kernelId: string): Promise<void> {
    await this.client.workflow.getHandle(kernelQuotaWorkflowId(user)).signal(releaseKernelSlot, kernelId);
  }

  status(kernelId: string): Promise<KernelStatus> {
    return forWorkflow(`kernel '${kernelId}'`, () => this.client.workflow.getHandle(kernelWorkflowId(kernelId)).query(kernelStatusQuery));
  }

  /** The launch steps so far (and restarts), oldest first. */
  progress(kernelId: string): Promise<KernelProgressStep[]> {
    return forWorkflow(`kernel '${kernelId}'`, () => this.client.workflow.getHandle(kernelWorkflowId(kernelId)).query(kernelProgressQuery));
  }

  /** Marks use: resets the idle timer. */
  touch(kernelId: string): Promise<void> {
    return signalRunning(this.client, kernelWorkflowId(kernelId), `kernel '${kernelId}'`, kernelActivitySignal);
  }

  shutdown(kernelId: string, request: ShutdownRequest): Promise<void> {
    return signalRunning(this.client, kernelWorkflowId(kernelId), `kernel '${kernelId}'`, shutdownKernelSignal, request);
  }

  async list(filter: { user?: string }, limit = 100): Promise<KernelStatus[]> {
    const kernels: KernelStatus[] = [];
    for await (const execution of this.client.workflow.list({ query: buildListQuery({ user: filter.user, kind: 'kernel' }) })) {
      const status = await this.status(execution.workflowId.replace(/^kernel-/, '')).catch(() => undefined);
      if (status) kernels.push(status);
      if (kernels.length >= limit) break;
    }
    return kernels;
  }
}
