import type { Client } from '@temporalio/client';
import { conflictError } from '../domain/errors.js';
import type { KernelProgressStep, KernelSessionInput, KernelStatus } from '../domain/kernel-session.js';
import { kernelActivitySignal, kernelProgressQuery, kernelStatusQuery, shutdownKernelSignal, type ShutdownRequest } from '../workflows/kernel-session.js';
import { forWorkflow } from './workflow-errors.js';
import { startOnce } from './workflow-start.js';
import { buildListQuery } from './visibility-query.js';

export const kernelWorkflowId = (kernelId: string): string => `kernel-${kernelId}`;

export class KernelsClient {
  constructor(private readonly client: Client, private readonly taskQueue: string) {}

  /** Starts the session; the same kernel id again returns the existing kernel. */
  async start(input: KernelSessionInput): Promise<{ kernelId: string; workflowId: string; existing: boolean }> {
    const { plan } = input;
    const { existing } = await startOnce(this.client, {
      workflowType: 'kernelSession', workflowId: plan.workflowId, taskQueue: this.taskQueue, args: [input],
      attributes: { user: plan.user, kind: 'kernel', namespace: plan.namespace, cluster: input.cluster },
    });
    return { kernelId: plan.kernelId, workflowId: plan.workflowId, existing };
  }

  status(kernelId: string): Promise<KernelStatus> {
    return forWorkflow(`kernel '${kernelId}'`, () => this.client.workflow.getHandle(kernelWorkflowId(kernelId)).query(kernelStatusQuery));
  }

  /** The launch steps so far (and restarts), oldest first. */
  progress(kernelId: string): Promise<KernelProgressStep[]> {
    return forWorkflow(`kernel '${kernelId}'`, () => this.client.workflow.getHandle(kernelWorkflowId(kernelId)).query(kernelProgressQuery));
  }

  private async signalRunning(kernelId: string, send: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<void>): Promise<void> {
    const handle = this.client.workflow.getHandle(kernelWorkflowId(kernelId));
    await forWorkflow(`kernel '${kernelId}'`, async () => {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') throw conflictError(`kernel '${kernelId}' has already ended (${status.name})`);
      await send(handle);
    });
  }

  /** Marks use: resets the idle timer. */
  touch(kernelId: string): Promise<void> {
    return this.signalRunning(kernelId, (handle) => handle.signal(kernelActivitySignal));
  }

  shutdown(kernelId: string, request: ShutdownRequest): Promise<void> {
    return this.signalRunning(kernelId, (handle) => handle.signal(shutdownKernelSignal, request));
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
