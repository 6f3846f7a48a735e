import {
  ApplicationFailure, CancellationScope, condition, defineQuery, defineSignal, isCancellation, setHandler,
} from '@temporalio/workflow';
import { kernelControllerClusterRole } from '../domain/kernel-pod.js';
import type { KernelProgressStep, KernelSessionInput, KernelStatus } from '../domain/kernel-session.js';
import type { PodEnd } from '../activities/pods.js';
import { kubernetesCalls as quick, kubernetesCleanupCalls as quickCleanup, podCleanup, watchActivities as watching } from './activity-proxies.js';
import { failureMessage } from './failure-message.js';

export interface ShutdownRequest {
  reason?: string;
  by?: string;
}

export const kernelActivitySignal = defineSignal('activity');
export const shutdownKernelSignal = defineSignal<[ShutdownRequest]>('shutdown');
export const kernelStatusQuery = defineQuery<KernelStatus>('status');
export const kernelProgressQuery = defineQuery<KernelProgressStep[]>('progress');

/** Enterprise Gateway's name for the per-kernel role binding. */
const roleBindingName = 'kernel-controller';

type Created = 'namespace' | 'roleBinding' | 'pod';

/**
 * One kernel: its namespace and role binding (unless the client brought KERNEL_NAMESPACE), its
 * pod, launched within the launch timeout, then alive until shut down, culled after the idle
 * timeout (a durable timer: worker restarts neither reset nor lose it) or failed; a pod that dies
 * on its own is started again up to `maxRestarts` times. Cleanup as for Spark jobs.
 */
export async function kernelSession(input: KernelSessionInput): Promise<KernelStatus> {
  const { plan, cluster } = input;
  const target = { cluster, plan };
  let lastActivity = Date.now();
  let touches = 0;
  const status: KernelStatus = {
    kernelId: plan.kernelId, user: plan.user, kernelName: input.spec.name, phase: 'STARTING', namespace: plan.namespace,
    pod: plan.podName, lastActivity: new Date(lastActivity).toISOString(), restarts: 0, cleanedUp: false,
  };
  setHandler(kernelStatusQuery, () => ({ ...status, lastActivity: new Date(lastActivity).toISOString() }));
  const startedAt = Date.now();
  const progress: KernelProgressStep[] = [];
  const record = (step: string): void => {
    progress.push({ step, at: new Date(Date.now()).toISOString() });
  };
  setHandler(kernelProgressQuery, () => progress);
  setHandler(kernelActivitySignal, () => {
    lastActivity = Date.now();
    touches++;
  });
  const session = new CancellationScope();
  let shutdownBy: string | undefined;
  setHandler(shutdownKernelSignal, ({ reason, by }) => {
    if (shutdownBy !== undefined) return;
    shutdownBy = `shut down by ${by ?? 'a client'}${reason ? `: ${reason}` : ''}`;
    session.cancel();
  });

  const created = new Set<Created>();
  let cancellation: Error | undefined;
  const launch = async (): Promise<void> => {
    status.phase = 'STARTING';
    created.add('pod');
    await quick.createKernelPod({ ...target, spec: input.spec });
    record(`pod ${plan.podName} created`);
    const launchDeadline = Date.now() + plan.launchTimeoutSeconds * 1000;
    const { podIP } = await watching.waitForKernelPod({ ...target, deadline: launchDeadline });
    status.podIP = podIP;
    status.phase = 'RUNNING';
    record(`pod running with IP ${podIP}`);
  };

  try {
    await session.run(async () => {
      if (plan.createNamespace) {
        created.add('namespace');
        await quick.createKernelNamespace(target);
        record(`namespace ${plan.namespace} created`);
        created.add('roleBinding');
        await quick.createRoleBinding({
          cluster, namespace: plan.namespace, name: roleBindingName, clusterRole: kernelControllerClusterRole,
          serviceAccount: plan.serviceAccount, kind: 'kernel', workflowId: plan.workflowId,
        });
        record('role binding kernel-controller created');
      } else {
        await quick.ensureNamespace({ cluster, namespace: plan.namespace, autoCreate: false, kind: 'kernel', workflowId: plan.workflowId });
        record(`namespace ${plan.namespace} found`);
      }
      await launch();
      for (;;) {
        let podEnd: PodEnd | Error | undefined;
        const watchScope = new CancellationScope();
        void watchScope.run(() => watching.watchPodUntilEnd({ cluster, namespace: plan.namespace, name: plan.podName, container: 'kernel' }))
          .then((end) => (podEnd = end), (error: Error) => (podEnd = isCancellation(error) ? undefined : error));
        // Alive: wake on activity, on the pod's end, or when the idle deadline or the maximum age passes.
        const ageLimit = input.maxAgeSeconds === undefined ? Infinity : startedAt + input.maxAgeSeconds * 1000;
        for (;;) {
          const seen = touches;
          const left = Math.min(lastActivity + input.cullIdleTimeoutSeconds * 1000, ageLimit) - Date.now();
          if (left <= 0) break;
          await condition(() => touches !== seen || podEnd !== undefined, left);
          if (podEnd !== undefined) break;
        }
        watchScope.cancel();
        if (podEnd === undefined) {
          status.phase = 'CULLED';
          status.error = Date.now() >= ageLimit
            ? `culled at its maximum age of ${input.maxAgeSeconds}s`
            : `culled after ${input.cullIdleTimeoutSeconds}s without activity`;
          record(status.error);
          return;
        }
        const ended: PodEnd | Error = podEnd;
        const why = ended instanceof Error ? failureMessage(ended) : `the kernel exited with code ${ended.exitCode}`;
        if (status.restarts >= input.maxRestarts) throw ApplicationFailure.nonRetryable(`${why}; restarted ${status.restarts} times already`, 'KernelDied');
        // From here until the new pod runs, the kernel is starting again: never RUNNING without a pod.
        status.phase = 'STARTING';
        delete status.podIP;
        status.restarts++;
        record(`pod ended (${why}): starting it again, restart ${status.restarts} of ${input.maxRestarts}`);
        await podCleanup.deletePodAndWait({ cluster, namespace: plan.namespace, name: plan.podName });
        await launch();
      }
    });
  } catch (error) {
    if (isCancellation(error)) {
      status.phase = 'STOPPED';
      status.error = shutdownBy ?? 'stopped through Temporal';
      cancellation = shutdownBy === undefined ? (error as Error) : undefined;
    } else {
      status.phase = 'FAILED';
      status.error = failureMessage(error);
    }
  }

  await CancellationScope.nonCancellable(async () => {
    if (created.has('pod')) await podCleanup.deletePodAndWait({ cluster, namespace: plan.namespace, name: plan.podName });
    if (created.has('roleBinding')) await quickCleanup.deleteRoleBinding({ cluster, namespace: plan.namespace, name: roleBindingName });
    if (created.has('namespace')) await quickCleanup.deleteKernelNamespace(target);
  });
  status.cleanedUp = true;
  if (cancellation) throw cancellation;
  if (status.phase === 'FAILED') throw ApplicationFailure.nonRetryable(status.error ?? 'the kernel failed', 'KernelFailed', status);
  return status;
}
