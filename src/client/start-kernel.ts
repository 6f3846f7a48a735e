import type { Client } from '@temporalio/client';
import type { KernelPlan } from '../domain/kernel-pod.js';
import { ClustersClient } from './clusters.js';
import type { KnownClusters } from './known-clusters.js';
import { checkKernelRequest, toKernelSessionInput, type KernelRequestContext } from './kernel-request.js';
import { KernelsClient } from './kernels.js';

export interface KernelStart {
  temporal: Client;
  taskQueue: string;
  kernels: KernelRequestContext;
  /** Static presets a kernel may name: one not attached now is attached for it. */
  knownClusters: KnownClusters;
}

export interface StartedKernel {
  kernelId: string;
  workflowId: string;
  plan: KernelPlan;
  /** The same kernel id was started before: this is that kernel, not a second one. */
  existing: boolean;
}

/**
 * The one way a kernel session starts, for /v1/kernels, Jupyter's /api/kernels and the CLI alike:
 * the request checked (400/403 naming the field, every KERNEL_* rule), its cluster RUNNING, a slot
 * of the user's quota taken (409 beyond it), then the session's workflow started, idempotent on
 * the kernel id.
 */
export async function startKernel(using: KernelStart, request: unknown): Promise<StartedKernel> {
  const input = toKernelSessionInput(checkKernelRequest(request), using.kernels);
  await new ClustersClient(using.temporal, using.taskQueue, using.knownClusters).requireRunning(input.cluster, 'cluster', `a kernel of ${input.plan.user}`);
  const started = await new KernelsClient(using.temporal, using.taskQueue, using.kernels.maxPerUser).start(input);
  return { ...started, plan: input.plan };
}
