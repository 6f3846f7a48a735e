import {
  ApplicationFailure, CancellationScope, condition, continueAsNew, defineQuery, defineSignal, isCancellation,
  setHandler, workflowInfo,
} from '@temporalio/workflow';
import { kernelControllerClusterRole } from '../domain/kernel-pod.js';
import {
  kernelPodEventsSignalName, maxKernelPodEvents,
  type KernelPodEvent, type KernelProgressStep, type KernelSessionInput, type KernelSessionResume, type KernelStatus,
} from '../domain/kernel-session.js';
import type { PodEnd } from '../activities/pods.js';
import {
  kubernetesCalls as quick, kubernetesCleanupCalls as quickCleanup, launchActivities as launching, podCleanup, podWatches,
} from './activity-proxies.js';
import { reportClusterUse } from './cluster-use.js';
import { failureMessage } from './failure-message.js';
import { historyIsLong } from './history-length.js';
import { recordEnding } from './outcome-metrics.js';
import { enterPhase } from './phase.js';
import { releaseUserSlot } from './user-quota.js';

export interface ShutdownRequest {
  reason?: string;
  by?: string;
}

export const kernelActivitySignal = defineSignal('activity');
export const shutdownKernelSignal = defineSignal<[ShutdownRequest]>('shutdown');
export const kernelPodEventsSignal = defineSignal<[KernelPodEvent[]]>(kernelPodEventsSignalName);
export const kernelStatusQuery = defineQuery<KernelStatus>('status');
export const kernelProgressQuery = defineQuery<KernelProgressStep[]>('progress');

/** Enterprise Gateway's name for the per-kernel role binding. */
const roleBindingName = 'kernel-controller';

type Created = 'namespace' | 'roleBinding' | 'pod';
type Wake = 'idle' | 'pod-ended' | 'continue';

/**
 * One kernel: its namespace and role binding (unless the client brought KERNEL_NAMESPACE), its
 * pod, launched within the launch timeout, then alive until shut down, culled after the idle
 * timeout or the maximum age, or failed; a pod that dies on its own is started again up to
 * `maxRestarts` times. The deadlines are computed from times kept in state, so a worker restart
 * neither resets nor loses them, and a run that continues as new carries them over. Cleanup as
 * for Spark jobs, then the user's kernel slot is released.
 */
export async function kernelSession(input: KernelSessionInput): Promise<KernelStatus> {
  const { plan, cluster, resume } = input;
  const target = { cluster, plan };
  const podRef = { cluster, namespace: plan.namespace, name: plan.podName };
  const startedAt = resume?.startedAt ?? Date.now();
  let lastActivity = resume?.lastActivity ?? startedAt;
  let touches = 0;
  let podUid = resume?.podUid;
  const status: Omit<KernelStatus, 'lastActivity'> = {
    kernelId: plan.kernelId, user: plan.user, kernelName: input.spec.name, phase: resume ? 'RUNNING' : 'STARTING', namespace: plan.namespace,
    pod: plan.podName, ...(resume ? { podIP: resume.podIP } : {}), restarts: resume?.restarts ?? 0, cleanedUp: false,
  };
  // lastActivity moves with every signal: it is kept as a number and rendered when asked for.
  const snapshot = (): KernelStatus => ({ ...status, lastActivity: new Date(lastActivity).toISOString() });
  setHandler(kernelStatusQuery, snapshot);
  const progress: KernelProgressStep[] = resume?.progress ?? [];
  const record = (step: string): void => {
    progress.push({ step, at: new Date(Date.now()).toISOString(), source: 'orchestrator' });
  };
  setHandler(kernelProgressQuery, () => progress);
  const eventsSeen = new Set<string>();
  setHandler(kernelPodEventsSignal, (events) => {
    for (const event of events) {
      if (eventsSeen.has(event.uid) || eventsSeen.size >= maxKernelPodEvents) continue;
      eventsSeen.add(event.uid);
      progress.push({ step: `${event.type} ${event.reason}: ${event.message}`, at: event.at, source: 'kubernetes' });
    }
  });
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

  // A resumed run inherits what the first run created.
  const created = new Set<Created>(resume ? ['pod', ...(plan.createNamespace ? ['namespace', 'roleBinding'] as const : [])] : []);
  const launch = async (): Promise<void> => {
    enterPhase(status, 'STARTING');
    created.add('pod');
    await quick.createKernelPod({ ...target, spec: input.spec });
    record(`pod ${plan.podName} created`);
    const launchDeadline = Date.now() + plan.launchTimeoutSeconds * 1000;
    const running = await launching.waitForKernelPod({ ...target, deadline: launchDeadline });
    status.podIP = running.podIP;
    podUid = running.podUid;
    enterPhase(status, 'RUNNING');
    record(`pod running with IP ${running.podIP}`);
  };

  const prepareNamespace = async (): Promise<void> => {
    const { namespace, serviceAccount, workflowId } = plan;
    if (!plan.createNamespace) {
      await quick.ensureNamespace({ cluster, namespace, autoCreate: false, kind: 'kernel', workflowId });
      record(`namespace ${namespace} found`);
      return;
    }
    created.add('namespace');
    await quick.createKernelNamespace(target);
    record(`namespace ${namespace} created`);
    created.add('roleBinding');
    await quick.createRoleBinding({ cluster, namespace, name: roleBindingName, clusterRole: kernelControllerClusterRole, serviceAccount, kind: 'kernel', workflowId });
    record('role binding kernel-controller created');
  };

  /** Alive: wakes on activity, on the pod's end, when a deadline passes, or when the history is long. */
  const stayAlive = async (): Promise<{ wake: Wake; podEnd?: PodEnd | Error }> => {
    let podEnd: PodEnd | Error | undefined;
    const watchScope = new CancellationScope();
    void watchScope.run(() => podWatches().watchPodUntilEnd({ ...podRef, container: 'kernel', ...(podUid ? { uid: podUid } : {}) }))
      .then((end) => (podEnd = end), (error: Error) => (podEnd = isCancellation(error) ? undefined : error));
    const ageLimit = input.maxAgeSeconds === undefined ? Infinity : startedAt + input.maxAgeSeconds * 1000;
    try {
      for (;;) {
        if (historyIsLong(input.historyEventLimit)) return { wake: 'continue' };
        const seen = touches;
        const left = Math.min(lastActivity + input.cullIdleTimeoutSeconds * 1000, ageLimit) - Date.now();
        if (left <= 0) {
          status.error = Date.now() >= ageLimit
            ? `culled at its maximum age of ${input.maxAgeSeconds}s`
            : `culled after ${input.cullIdleTimeoutSeconds}s without activity`;
          return { wake: 'idle' };
        }
        await condition(() => touches !== seen || podEnd !== undefined, left);
        if (podEnd !== undefined) return { wake: 'pod-ended', podEnd };
      }
    } finally {
      watchScope.cancel();
    }
  };

  let cancellation: Error | undefined;
  let next: KernelSessionResume | undefined;
  try {
    await session.run(async () => {
      if (!resume) {
        await reportClusterUse(cluster, { workflowId: workflowInfo().workflowId, kind: 'kernel', inUse: true });
        await prepareNamespace();
        await launch();
      }
      for (;;) {
        const { wake, podEnd } = await stayAlive();
        if (wake === 'continue') {
          next = { startedAt, lastActivity, restarts: status.restarts, podIP: status.podIP ?? '', ...(podUid ? { podUid } : {}), progress };
          return;
        }
        if (wake === 'idle' || podEnd === undefined) {
          enterPhase(status, 'CULLED');
          record(status.error ?? 'culled');
          return;
        }
        const why = podEnd instanceof Error ? failureMessage(podEnd) : `the kernel exited with code ${podEnd.exitCode}`;
        if (status.restarts >= input.maxRestarts) throw ApplicationFailure.nonRetryable(`${why}; restarted ${status.restarts} times already`, 'KernelDied');
        // From here until the new pod runs, the kernel is starting again: never RUNNING without a pod.
        enterPhase(status, 'STARTING');
        delete status.podIP;
        status.restarts++;
        record(`pod ended (${why}): starting it again, restart ${status.restarts} of ${input.maxRestarts}`);
        await podCleanup.deletePodAndWait(podRef);
        await launch();
      }
    });
  } catch (error) {
    if (isCancellation(error)) {
      enterPhase(status, 'STOPPED');
      status.error = shutdownBy ?? 'stopped through Temporal';
      cancellation = shutdownBy === undefined ? (error as Error) : undefined;
    } else {
      enterPhase(status, 'FAILED');
      status.error = failureMessage(error);
    }
  }
  if (next && status.phase === 'RUNNING') return await continueAsNew<typeof kernelSession>({ ...input, resume: next });

  const cleanupStartedAt = Date.now();
  await CancellationScope.nonCancellable(async () => {
    if (created.has('pod')) await podCleanup.deletePodAndWait(podRef);
    if (created.has('roleBinding')) await quickCleanup.deleteRoleBinding({ cluster, namespace: plan.namespace, name: roleBindingName });
    if (created.has('namespace')) await quickCleanup.deleteKernelNamespace(target);
    await releaseUserSlot({ kind: 'kernel', user: plan.user });
    await reportClusterUse(cluster, { workflowId: workflowInfo().workflowId, kind: 'kernel', inUse: false });
  });
  // Only now, as for a Spark job: a client that sees cleanedUp may start another kernel at once,
  // and the slot signal is delivered before its request reaches the user's quota.
  status.cleanedUp = true;
  recordEnding('kernel', status.phase, Date.now() - cleanupStartedAt);
  if (cancellation) throw cancellation;
  if (status.phase === 'FAILED') throw ApplicationFailure.nonRetryable(status.error ?? 'the kernel failed', 'KernelFailed', snapshot());
  return snapshot();

}
