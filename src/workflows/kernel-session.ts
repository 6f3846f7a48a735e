import {
  allHandlersFinished, ApplicationFailure, CancellationScope, condition, continueAsNew, defineQuery, defineSignal, defineUpdate,
  isCancellation, patched, setHandler, workflowInfo,
} from '@temporalio/workflow';
import { kernelConnectionsClusterRole, kernelContainerName, kernelControllerClusterRole, orchestratorServiceAccount } from '../domain/kernel-pod.js';
import {
  kernelPodEndSignalName, kernelPodEventsSignalName, kernelStatusAtStart, kernelStatusQueryName, kernelWireSignalName, maxKernelPodEndReports, maxKernelPodEvents,
  type KernelClientLease, type KernelPodEndReport, type KernelPodEvent, type KernelProgressStep, type KernelSessionInput, type KernelSessionResume, type KernelStatus,
  type KernelWireReport,
} from '../domain/kernel-session.js';
import { connectsBack } from '../domain/kernel-specs.js';
import type { PodExit } from '../domain/pod-state.js';
import {
  kubernetesCalls as quick, kubernetesCleanupCalls as quickCleanup, launchActivities as launching, localPodCleanup, podCleanup, podWatches,
} from './activity-proxies.js';
import { reportClusterUse } from './cluster-use.js';
import { handleStopSignal, settle, type StopRequest } from './ending.js';
import { failureMessage } from './failure-message.js';
import { historyIsLong } from './history-length.js';
import { recordEnding } from './outcome-metrics.js';
import { enterPhase } from './phase.js';
import { allSettled } from './side-by-side.js';
import { releaseUserSlot } from './user-quota.js';

export const kernelActivitySignal = defineSignal('activity');
export const shutdownKernelSignal = defineSignal<[StopRequest]>('shutdown');
export const kernelPodEventsSignal = defineSignal<[KernelPodEvent[]]>(kernelPodEventsSignalName);
export const kernelWireSignal = defineSignal<[KernelWireReport]>(kernelWireSignalName);
export const kernelPodEndSignal = defineSignal<[KernelPodEndReport]>(kernelPodEndSignalName);
export const kernelClientSignal = defineSignal<[KernelClientLease]>('client');
/** A client's restart: a new kernel in the same session (namespace, idle deadline); answers once it runs. */
export const restartKernelUpdate = defineUpdate<KernelStatus, [StopRequest]>('restart');
export const kernelStatusQuery = defineQuery<KernelStatus>(kernelStatusQueryName);
export const kernelProgressQuery = defineQuery<KernelProgressStep[]>('progress');

/** Enterprise Gateway's name for the per-kernel role binding. */
const roleBindingName = 'kernel-controller';
/** The orchestrator's own binding on the kernel's connection Secret, in plans made before each kernel had its own. */
const sharedConnectionsBindingName = kernelConnectionsClusterRole;

type Created = 'namespace' | 'roleBinding' | 'connectionsBinding' | 'pod';
type Wake = 'idle' | 'pod-ended' | 'continue' | 'restart';

/** Kernels launched by the protocol (connect-back, answer, watched on the wire); earlier runs keep the pod-only launch. */
const launchProtocolPatch = 'kernel-launch-protocol';
const idleFromLaunchPatch = 'kernel-idle-from-launch';
/**
 * Histories that created the bindings one after the other replay so. (The bindings are still
 * deleted one by one at the end: left to their namespace's deletion, they outlive `cleanedUp` while
 * the namespace terminates.)
 */
const callsTogetherPatch = 'kernel-calls-together';
/**
 * A kernel culled at its deadline has its pod deleted within the workflow task that culls it, by a
 * local activity: a burst of deadlines costs each session two workflow tasks, not three. The task
 * cancels the pod's watches before the deletion, so the end they then report is ignored; only a
 * retry of that task (its worker died) sees the deadline and the pod's end together, and there
 * the deadline wins: the pod ended because the cull deleted it.
 */
const cullWithinTaskPatch = 'kernel-cull-within-task';
/**
 * A running kernel's pod end is reported by the workers' shared pod watch (kernel-pod-ends.ts), not
 * followed by a watch activity of the session's own: an idle session holds nothing in a worker.
 * Earlier runs, and a pod whose uid the session does not know, keep the watch activity.
 */
const podEndReportsPatch = 'kernel-pod-end-reports';
/** The heartbeat timeout of a kernel's watches (activity-proxies.ts, podWatches). */
const idleWatchHeartbeatMs = 60_000;
/** Bounds the clients a session tracks, for its history and queries. */
const maxClientLeases = 1_000;

const launchKey = (launchedAt: string): string => `launched ${launchedAt}`;
const reportKey = (report: KernelPodEndReport): string => ('uid' in report ? report.uid : launchKey(report.launchedAt));

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
  const protocol = patched(launchProtocolPatch);
  // Asked first thing in the run: a patch asked after a local activity of the same workflow task
  // is not recognised when that task is replayed (spark-identity.ts).
  const together = patched(callsTogetherPatch);
  const cullsWithinTask = patched(cullWithinTaskPatch);
  const endsReported = patched(podEndReportsPatch);
  const connectionsBindingName = plan.connectionsBinding ?? sharedConnectionsBindingName;
  const wired = protocol && connectsBack(input.spec);
  const startedAt = resume?.startedAt ?? Date.now();
  let lastActivity = resume?.lastActivity ?? startedAt;
  let touches = 0;
  let podUid = resume?.podUid;
  let launchedAt = resume?.launchedAt;
  let busy = resume?.busy ?? false;
  const leases = new Map(Object.entries(resume?.clientLeases ?? {}));
  let restartsWanted = resume?.clientRestarts ?? 0;
  let restartsDone = restartsWanted;
  // Its lastActivity is stale at once: the snapshot renders the live one.
  const status = kernelStatusAtStart(input, startedAt);
  // Read-only, for queries too; the run itself drops expired leases (pruneLeases).
  const liveLeases = (): number[] => [...leases.values()].filter((until) => until > Date.now());
  const pruneLeases = (): void => {
    for (const [connection, until] of leases) if (until <= Date.now()) leases.delete(connection);
  };
  // lastActivity moves with every signal: it is kept as a number and rendered when asked for.
  const snapshot = (): KernelStatus => ({
    ...status,
    lastActivity: new Date(lastActivity).toISOString(),
    ...(launchedAt !== undefined ? { launchedAt: new Date(launchedAt).toISOString() } : {}),
    ...(wired && status.phase === 'RUNNING' ? { executionState: busy ? 'busy' : 'idle', connections: liveLeases().length } : {}),
  });
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
  // By pod (uid, or the launch of a pod found missing): every worker reports each end.
  const podEndReports = new Map((resume?.podEndReports ?? []).map((report) => [reportKey(report), report]));
  setHandler(kernelPodEndSignal, (report) => {
    podEndReports.set(reportKey(report), report);
    for (const key of podEndReports.keys()) if (podEndReports.size > maxKernelPodEndReports) podEndReports.delete(key);
  });
  /** The end reported of the pod running now. */
  const reportedEnd = (): PodExit | Error | undefined => {
    const report = podEndReports.get(podUid ?? '') ?? (launchedAt === undefined ? undefined : podEndReports.get(launchKey(new Date(launchedAt).toISOString())));
    if (report === undefined) return undefined;
    if ('failure' in report) return ApplicationFailure.nonRetryable(report.failure, report.failureType);
    return { succeeded: report.succeeded, exitCode: report.exitCode, ...(report.reason !== undefined ? { reason: report.reason } : {}) };
  };
  setHandler(kernelActivitySignal, () => {
    lastActivity = Date.now();
    touches++;
  });
  setHandler(kernelWireSignal, (report) => {
    busy = report.busy;
    if (report.active) lastActivity = Date.now();
    touches++;
  });
  setHandler(kernelClientSignal, ({ connection, until }) => {
    if (until <= Date.now()) leases.delete(connection);
    else if (leases.has(connection) || leases.size < maxClientLeases) {
      // Connecting is use; staying connected is not (EG's cull_connected decides about that).
      if (!leases.has(connection)) lastActivity = Date.now();
      leases.set(connection, until);
    }
    touches++;
  });
  setHandler(restartKernelUpdate, async (_request) => {
    const wanted = ++restartsWanted;
    await condition(() => restartsDone >= wanted || status.phase !== 'STARTING' && status.phase !== 'RUNNING');
    if (status.phase !== 'RUNNING') throw ApplicationFailure.nonRetryable(`the kernel did not restart: it is ${status.phase}${status.error ? ` (${status.error})` : ''}`, 'KernelNotRunning');
    return snapshot();
  }, {
    validator: (_request) => {
      if (!wired) throw new Error(`kernel '${input.spec.name}' cannot be restarted by a client: nobody can reach it`);
      if (status.phase !== 'RUNNING') throw new Error(`the kernel is ${status.phase}: only a running kernel can be restarted`);
    },
  });
  const session = new CancellationScope();
  const shutdown = handleStopSignal(shutdownKernelSignal, session, { bySignal: 'shut down', byTemporal: 'stopped' });

  // A resumed run inherits what the first run created.
  const created = new Set<Created>(resume
    ? ['pod', ...(plan.createNamespace ? ['namespace', 'roleBinding'] as const : []), ...(wired ? ['connectionsBinding'] as const : [])]
    : []);
  const launch = async (): Promise<void> => {
    enterPhase(status, 'STARTING');
    created.add('pod');
    const launchDeadline = Date.now() + plan.launchTimeoutSeconds * 1000;
    let running: { podIP: string; podUid?: string };
    if (protocol) {
      running = await launching.launchKernel({ ...target, spec: input.spec, deadline: launchDeadline });
      record(wired ? `kernel answering in pod ${plan.podName} (IP ${running.podIP})` : `pod running with IP ${running.podIP}`);
    } else {
      await quick.createKernelPod({ ...target, spec: input.spec });
      record(`pod ${plan.podName} created`);
      running = await launching.waitForKernelPod({ ...target, deadline: launchDeadline });
      record(`pod running with IP ${running.podIP}`);
    }
    status.podIP = running.podIP;
    podUid = running.podUid;
    launchedAt = Date.now();
    busy = false;
    enterPhase(status, 'RUNNING');
  };

  /**
   * The namespace (created, or the client's found), then the kernel's role binding in a created
   * one and the orchestrator's on the connection Secret for a kernel that connects back: side by
   * side when `together` (a binding names its account, it does not need it to exist).
   */
  const prepareNamespace = async (): Promise<void> => {
    const { namespace, serviceAccount, workflowId } = plan;
    if (!plan.createNamespace) {
      await quick.ensureNamespace({ cluster, namespace, autoCreate: false, kind: 'kernel', workflowId });
      record(`namespace ${namespace} found`);
    } else {
      created.add('namespace');
      await quick.createKernelNamespace(target);
      record(`namespace ${namespace} created`);
    }
    const bindings: Array<[Created, () => Promise<void>]> = [];
    if (plan.createNamespace) {
      bindings.push(['roleBinding', async () => {
        await quick.createRoleBinding({ cluster, namespace, name: roleBindingName, clusterRole: kernelControllerClusterRole, serviceAccount, kind: 'kernel', workflowId });
        record('role binding kernel-controller created');
      }]);
    }
    if (wired) {
      bindings.push(['connectionsBinding', async () => {
        await quick.createRoleBinding({
          cluster, namespace, name: connectionsBindingName, clusterRole: kernelConnectionsClusterRole, kind: 'kernel', workflowId,
          serviceAccount: orchestratorServiceAccount, serviceAccountNamespace: plan.orchestratorNamespace,
        });
        record(`role binding ${connectionsBindingName} created: the orchestrator keeps the kernel's connection here`);
      }]);
    }
    if (together) {
      for (const [part] of bindings) created.add(part);
      await allSettled(bindings.map(([, bind]) => bind()));
      return;
    }
    for (const [part, bind] of bindings) {
      created.add(part);
      await bind();
    }
  };

  /**
   * When the kernel is idle for culling: never while busy, nor, unless `cullConnected`, while a
   * client holds a lease (looked at again when the first lease would end).
   */
  const idleDeadline = (): number => {
    if (busy) return Infinity;
    const idleAt = lastActivity + input.cullIdleTimeoutSeconds * 1000;
    pruneLeases();
    const held = input.cullConnected ? [] : [...leases.values()];
    return held.length === 0 ? idleAt : Math.max(idleAt, Math.min(...held));
  };

  /** Alive: wakes on activity, on the pod's end, on a restart, when a deadline passes, or when the history is long. */
  const stayAlive = async (): Promise<{ wake: Wake; podEnd?: PodExit | Error }> => {
    let watchedEnd: PodExit | Error | undefined;
    const watchScope = new CancellationScope();
    const reported = endsReported && podUid !== undefined;
    if (!reported) {
      void watchScope.run(() => podWatches(idleWatchHeartbeatMs).watchPodUntilEnd({ ...podRef, container: kernelContainerName, ...(podUid ? { uid: podUid } : {}) }))
        .then((end) => (watchedEnd = end), (error: Error) => (watchedEnd = isCancellation(error) ? undefined : error));
    }
    const podEnd = (): PodExit | Error | undefined => (reported ? reportedEnd() : watchedEnd);
    // What the wire shows (busy, idle, used) comes as signals; the watch ends only when cancelled.
    if (wired) void watchScope.run(() => podWatches(idleWatchHeartbeatMs).watchKernelWire({ ...podRef, kernelId: plan.kernelId })).catch(() => undefined);
    const ageLimit = input.maxAgeSeconds === undefined ? Infinity : startedAt + input.maxAgeSeconds * 1000;
    const deadline = (): number => Math.min(idleDeadline(), ageLimit);
    try {
      for (;;) {
        if (restartsWanted > restartsDone) return { wake: 'restart' };
        if (historyIsLong(input.historyEventLimit)) return { wake: 'continue' };
        const seen = touches;
        const left = deadline() - Date.now();
        if (left <= 0) {
          status.error = Date.now() >= ageLimit
            ? `culled at its maximum age of ${input.maxAgeSeconds}s`
            : `culled after ${input.cullIdleTimeoutSeconds}s without activity`;
          return { wake: 'idle' };
        }
        const woken = () => touches !== seen || podEnd() !== undefined || restartsWanted > restartsDone;
        await (left === Infinity ? condition(woken) : condition(woken, left));
        const end = podEnd();
        if (end !== undefined && !(cullsWithinTask && deadline() <= Date.now())) return { wake: 'pod-ended', podEnd: end };
      }
    } finally {
      watchScope.cancel();
    }
  };

  let cancellation: Error | undefined;
  let continuing = false;
  // Taken as the run continues as new, so that what came in since the decision goes along.
  const resumeState = (): KernelSessionResume => ({
    startedAt, lastActivity, restarts: status.restarts, podIP: status.podIP ?? '', ...(podUid ? { podUid } : {}), progress,
    ...(launchedAt !== undefined ? { launchedAt } : {}), clientRestarts: restartsDone, busy, clientLeases: Object.fromEntries(leases),
    podEndReports: [...podEndReports.values()],
  });
  try {
    await session.run(async () => {
      if (!resume) {
        await reportClusterUse(cluster, { workflowId: workflowInfo().workflowId, kind: 'kernel', inUse: true });
        await prepareNamespace();
        await launch();
        // As Jupyter's: the idle timer counts from when the kernel runs, not from the request (a
        // slow image pull must not use up the idle timeout). Earlier runs counted from the request.
        if (patched(idleFromLaunchPatch)) lastActivity = Date.now();
      }
      for (;;) {
        const { wake, podEnd } = await stayAlive();
        if (wake === 'continue') {
          continuing = true;
          return;
        }
        if (wake === 'restart') {
          record(`restart ${restartsWanted} asked for by a client: a new kernel in the same session`);
          delete status.podIP;
          // The launch replaces the pod and its connection; the idle timer counts from the restart.
          await launch();
          lastActivity = Date.now();
          restartsDone = restartsWanted;
          continue;
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
    const interruption = shutdown.interruption(error);
    enterPhase(status, interruption.stopped ? 'STOPPED' : 'FAILED');
    status.error = interruption.error;
    cancellation = interruption.cancellation;
  }
  if (continuing && status.phase === 'RUNNING') {
    await condition(allHandlersFinished);
    return await continueAsNew<typeof kernelSession>({ ...input, resume: resumeState() });
  }

  const cleanupStartedAt = Date.now();
  await CancellationScope.nonCancellable(async () => {
    if (created.has('pod')) await (status.phase === 'CULLED' && cullsWithinTask ? localPodCleanup : podCleanup).deletePodAndWait(podRef);
    if (created.has('roleBinding')) await quickCleanup.deleteRoleBinding({ cluster, namespace: plan.namespace, name: roleBindingName });
    if (created.has('connectionsBinding')) await quickCleanup.deleteRoleBinding({ cluster, namespace: plan.namespace, name: connectionsBindingName });
    if (created.has('namespace')) await quickCleanup.deleteKernelNamespace(target);
    await releaseUserSlot({ kind: 'kernel', user: plan.user });
    await reportClusterUse(cluster, { workflowId: workflowInfo().workflowId, kind: 'kernel', inUse: false });
  });
  // Only now, as for a Spark job: a client that sees cleanedUp may start another kernel at once,
  // and the slot signal is delivered before its request reaches the user's quota.
  status.cleanedUp = true;
  recordEnding('kernel', status.phase, Date.now() - cleanupStartedAt);
  return settle(snapshot(), cancellation, { type: 'KernelFailed', otherwise: 'the kernel failed' });

}
