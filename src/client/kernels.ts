import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { conflictError } from '../domain/errors.js';
import { kernelStatusAtStart, type KernelClientLease, type KernelProgressStep, type KernelSessionInput, type KernelStatus } from '../domain/kernel-session.js';
import { computeIdOf, kernelWorkflowId } from '../domain/workflow-ids.js';
import {
  kernelActivitySignal, kernelClientSignal, kernelProgressQuery, kernelStatusQuery, restartKernelUpdate, shutdownKernelSignal,
} from '../workflows/kernel-session.js';
import type { StopRequest } from '../workflows/ending.js';
import { forWorkflow, signalRunning } from './workflow-errors.js';
import { startWithinQuota } from './user-quota.js';
import { buildListQuery } from '../domain/visibility-query.js';
import { queryWorkflow, readWorkflowStatus, type ReadOptions } from './workflow-status.js';

export class KernelsClient {
  /** `maxPerUser`: concurrent kernels a user may hold; 0, no limit. */
  constructor(private readonly client: Client, private readonly taskQueue: string, private readonly maxPerUser = 0) {}

  /** Starts the session within the user's quota (409 LIMIT_EXCEEDED beyond it); the same kernel id again returns the existing kernel. */
  async start(input: KernelSessionInput): Promise<{ kernelId: string; workflowId: string; existing: boolean }> {
    const { plan } = input;
    const { existing } = await startWithinQuota(this.client, { kind: 'kernel', user: plan.user }, this.maxPerUser, {
      workflowType: 'kernelSession', workflowId: plan.workflowId, taskQueue: this.taskQueue, args: [input],
      attributes: { user: plan.user, kind: 'kernel', namespace: plan.namespace, cluster: input.cluster },
    });
    return { kernelId: plan.kernelId, workflowId: plan.workflowId, existing };
  }

  status(kernelId: string, options?: ReadOptions): Promise<KernelStatus> {
    return readWorkflowStatus(this.client, kernelWorkflowId(kernelId), `kernel '${kernelId}'`, kernelStatusQuery, (_type, input, startedAt) => kernelStatusAtStart(input as KernelSessionInput, startedAt), options);
  }

  /** The launch steps so far (and restarts), oldest first. */
  progress(kernelId: string): Promise<KernelProgressStep[]> {
    return queryWorkflow(this.client, kernelWorkflowId(kernelId), `kernel '${kernelId}'`, kernelProgressQuery);
  }

  /** Marks use: resets the idle timer. */
  touch(kernelId: string): Promise<void> {
    return signalRunning(this.client, kernelWorkflowId(kernelId), `kernel '${kernelId}'`, kernelActivitySignal);
  }

  /** A client connected to the kernel's channels (or gone: `until` 0). */
  holdLease(kernelId: string, lease: KernelClientLease): Promise<void> {
    return signalRunning(this.client, kernelWorkflowId(kernelId), `kernel '${kernelId}'`, kernelClientSignal, lease);
  }

  /** A new kernel in the same session; resolves once it answers. A kernel that is not running is a conflict. */
  async restart(kernelId: string, request: StopRequest): Promise<KernelStatus> {
    return await forWorkflow(`kernel '${kernelId}'`, async () => {
      try {
        return await this.client.workflow.getHandle(kernelWorkflowId(kernelId)).executeUpdate(restartKernelUpdate, { args: [request] });
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) throw conflictError(`kernel '${kernelId}' was not restarted: ${error.cause?.message ?? error.message}`);
        throw error;
      }
    });
  }

  shutdown(kernelId: string, request: StopRequest): Promise<void> {
    return signalRunning(this.client, kernelWorkflowId(kernelId), `kernel '${kernelId}'`, shutdownKernelSignal, request);
  }

  /** `running`: only sessions whose workflow still runs (ended ones are not asked). */
  async list(filter: { user?: string; running?: boolean }, limit = 100): Promise<KernelStatus[]> {
    const kernels: KernelStatus[] = [];
    const query = buildListQuery({ user: filter.user, kind: 'kernel', ...(filter.running ? { status: 'Running' } : {}) });
    for await (const execution of this.client.workflow.list({ query })) {
      const kernelId = computeIdOf('kernel', execution.workflowId);
      const status = kernelId === undefined ? undefined : await this.status(kernelId, { patienceMs: 0 }).catch(() => undefined);
      if (status) kernels.push(status);
      if (kernels.length >= limit) break;
    }
    return kernels;
  }
}
