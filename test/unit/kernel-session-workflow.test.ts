import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CancelledFailure, Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PodExit } from '../../src/domain/pod-state.js';
import type { ClusterUse } from '../../src/domain/cluster.js';
import { kernelConnectionsClusterRole } from '../../src/domain/kernel-pod.js';
import type { KernelSessionInput, KernelStatus } from '../../src/domain/kernel-session.js';
import { clusterWorkflowId, kernelWorkflowId, userQuotaWorkflowId } from '../../src/domain/workflow-ids.js';
import { cluster } from '../../src/workflows/cluster.js';
import {
  kernelActivitySignal, kernelClientSignal, kernelPodEndSignal, kernelSession, kernelStatusQuery, kernelWireSignal, shutdownKernelSignal,
} from '../../src/workflows/kernel-session.js';
import { userQuota } from '../../src/workflows/user-quota.js';
import {
  lastTimerTaskStartedAt, localActivityTaskStartedAt, poll, runStartedAt, runsUntilCancelled, signals, WorkflowEnvironment,
  type ActivityMocks, type ExecuteOptions, type History,
} from './workflow-environment.js';

// While a kernel lives its pod watch is in flight, which holds the test server's clock to wall
// time: the timeouts here are seconds, and the workflow time of each step is read from history.
const idleSeconds = 2;
const idleMs = idleSeconds * 1000;
/** How late a deadline may be acted on: a workflow task and an activity's scheduling, on a busy machine. */
const lateMs = 2000;

function kernelInput(kernelId: string, overrides: Partial<KernelSessionInput> = {}): KernelSessionInput {
  return {
    cluster: 'local',
    plan: {
      kernelId, user: 'alice', workflowId: kernelWorkflowId(kernelId), namespace: `kernel-${kernelId}`, createNamespace: true,
      serviceAccount: 'default', podName: `kernel-${kernelId}`, uid: 1000, gid: 100, resources: { requests: {}, limits: {} },
      launchTimeoutSeconds: 300, env: [], orchestratorNamespace: 'compute-orchestrator',
    },
    spec: { name: 'python3', displayName: 'Python 3', language: 'python', image: 'elyra/kernel-py:3.2.3', flavor: 'vanilla' },
    cullIdleTimeoutSeconds: idleSeconds, maxRestarts: 2, historyEventLimit: 10_000,
    ...overrides,
  };
}

const done = async (): Promise<void> => undefined;
const exited: PodExit = { succeeded: false, exitCode: 1, reason: 'Error' };
/** A kernel that launches at once and then lives until its session ends. */
const kernelMocks: ActivityMocks = {
  createKernelNamespace: done, createRoleBinding: done, deleteRoleBinding: done, deleteKernelNamespace: done, deletePodAndWait: done,
  launchKernel: async () => ({ podIP: '10.0.0.7', podUid: 'pod-uid-1' }),
  watchPodUntilEnd: runsUntilCancelled, watchKernelWire: runsUntilCancelled,
};
const cleanup = ['deletePodAndWait', 'deleteRoleBinding', 'deleteRoleBinding', 'deleteKernelNamespace'];

const { EventType } = temporal.api.enums.v1;
/** Events after which a workflow task is still to come. */
const taskToCome = new Set<temporal.api.enums.v1.EventType | null | undefined>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
]);
const wallTime = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** When the session culled its kernel: the workflow task that deleted the pod, by a local activity. */
const culledAt = (history: History): number => localActivityTaskStartedAt(history, 'deletePodAndWait');

describe('kernelSession workflow (mocked activities, time-skipping test server)', () => {
  let env: WorkflowEnvironment;
  beforeAll(async () => {
    env = await WorkflowEnvironment.start();
  });
  afterAll(() => env?.teardown());

  type Hooks = Pick<ExecuteOptions<typeof kernelSession>, 'before' | 'meanwhile'>;
  const session = (input: KernelSessionInput, mocks: ActivityMocks = {}, hooks: Hooks = {}) =>
    env.execute(kernelSession, { workflowId: input.plan.workflowId, args: [input], mocks: { ...kernelMocks, ...mocks }, ...hooks });

  const untilRunning = (handle: WorkflowHandle<typeof kernelSession>): Promise<void> =>
    poll(async () => (await handle.query(kernelStatusQuery)).phase === 'RUNNING', () => `${handle.workflowId} RUNNING`);
  const untilRestarted = (handle: WorkflowHandle<typeof kernelSession>, restarts: number): Promise<void> =>
    poll(async () => {
      const status = await handle.query(kernelStatusQuery);
      return status.phase === 'RUNNING' && status.restarts === restarts;
    }, () => `${handle.workflowId} RUNNING after ${restarts} restarts`);

  test('an idle kernel is culled once its idle timeout has passed, and all it made is removed; its quota and cluster hear of it', async () => {
    const input = kernelInput('idle', { cluster: 'static-a' });
    const quotaId = userQuotaWorkflowId('kernel', 'alice');
    const clusterId = clusterWorkflowId('static-a');
    const { result, calls, history } = await session(input, { prepareCluster: done }, {
      before: async (taskQueue) => {
        await env.temporal.client.workflow.start(userQuota, { taskQueue, workflowId: quotaId, args: [{ kind: 'kernel', user: 'alice' }, { [input.plan.workflowId]: Date.now() }] });
        await env.temporal.client.workflow.start(cluster, { taskQueue, workflowId: clusterId, args: [{ name: 'static-a', provider: 'static' }] });
      },
    });

    expect(result).toMatchObject({ phase: 'CULLED', error: `culled after ${idleSeconds}s without activity`, cleanedUp: true, restarts: 0 });
    expect(culledAt(history)).toBeGreaterThanOrEqual(Date.parse(result!.lastActivity) + idleMs);
    expect(culledAt(history)).toBeLessThan(Date.parse(result!.lastActivity) + idleMs + lateMs);
    // Within the task of the deadline's timer: no round trip through the server for the pod's deletion.
    expect(culledAt(history)).toBe(lastTimerTaskStartedAt(history));
    // The cluster workflow's prepareCluster runs on the same workers, at its own pace.
    expect(calls.names().filter((name) => !name.startsWith('watch') && name !== 'prepareCluster')).toEqual([
      'createKernelNamespace', 'createRoleBinding', 'createRoleBinding', 'launchKernel', ...cleanup,
    ]);
    // Side by side: in either order.
    expect((calls.inputsOf('createRoleBinding') as Array<{ name: string }>).map(({ name }) => name).sort()).toEqual(['kernel-controller', kernelConnectionsClusterRole].sort());
    expect(calls.inputsOf('deleteRoleBinding')).toEqual([
      { cluster: 'static-a', namespace: 'kernel-idle', name: 'kernel-controller' },
      { cluster: 'static-a', namespace: 'kernel-idle', name: kernelConnectionsClusterRole },
    ]);
    expect(calls.inputsOf('deleteKernelNamespace')).toMatchObject([{ cluster: 'static-a', plan: { namespace: 'kernel-idle' } }]);
    expect(calls.inputsOf('deletePodAndWait')).toEqual([{ cluster: 'static-a', namespace: 'kernel-idle', name: 'kernel-idle' }]);

    // Both are real workflows: the slot is given back once the kernel is gone, the cluster told of the start and the end of the use.
    const quota = await env.temporal.client.workflow.getHandle(quotaId).fetchHistory();
    expect(signals(quota, 'release').map(({ input: released }) => released)).toEqual([input.plan.workflowId]);
    const clusterHistory = await env.temporal.client.workflow.getHandle(clusterId).fetchHistory();
    expect(signals(clusterHistory, 'use').map(({ input: use }) => use)).toEqual([
      { workflowId: input.plan.workflowId, kind: 'kernel', inUse: true },
      { workflowId: input.plan.workflowId, kind: 'kernel', inUse: false },
    ] satisfies ClusterUse[]);
    expect(signals(quota, 'release')[0]!.at).toBeGreaterThanOrEqual(culledAt(history));
  });

  // Jupyter Server, under Enterprise Gateway, starts a kernel's idle clock once the kernel has
  // started, as this workflow does after a client's restart.
  test('the idle timeout counts from when the kernel runs: a launch longer than the timeout is not culled at once', async () => {
    const launchMs = idleMs + 1000;
    const { result, history } = await session(kernelInput('slow-launch'), {
      launchKernel: async () => {
        await wallTime(launchMs);
        return { podIP: '10.0.0.7', podUid: 'pod-uid-1' };
      },
    });
    expect(result).toMatchObject({ phase: 'CULLED' });
    expect(culledAt(history)).toBeGreaterThanOrEqual(Date.parse(result!.launchedAt!) + idleMs);
  });

  test('activity signals put the cull off: it comes an idle timeout after the last one', async () => {
    const { result, history } = await session(kernelInput('active'), {}, {
      meanwhile: async (handle) => {
        await untilRunning(handle);
        for (let i = 0; i < 3; i++) {
          if (i > 0) await wallTime(idleMs / 2);
          await handle.signal(kernelActivitySignal);
        }
      },
    });
    const last = signals(history, 'activity').at(-1)?.at;
    expect(result).toMatchObject({ phase: 'CULLED', error: `culled after ${idleSeconds}s without activity` });
    expect(Date.parse(result!.lastActivity)).toBeGreaterThanOrEqual(last!);
    expect(culledAt(history)).toBeGreaterThanOrEqual(last! + idleMs);
    expect(culledAt(history)).toBeLessThan(last! + idleMs + lateMs);
  });

  test('a kernel the wire reports busy is not culled; once it reports idle, it is culled an idle timeout later', async () => {
    let whileBusy: KernelStatus | undefined;
    const { result, history } = await session(kernelInput('busy'), {}, {
      meanwhile: async (handle) => {
        await untilRunning(handle);
        await handle.signal(kernelWireSignal, { busy: true, active: true });
        await wallTime(idleMs + 500);
        whileBusy = await handle.query(kernelStatusQuery);
        await handle.signal(kernelWireSignal, { busy: false, active: true });
      },
    });
    expect(whileBusy).toMatchObject({ phase: 'RUNNING', executionState: 'busy' });
    const [, idleAgain] = signals(history, 'wire').map(({ at }) => at);
    expect(result).toMatchObject({ phase: 'CULLED', error: `culled after ${idleSeconds}s without activity` });
    expect(culledAt(history)).toBeGreaterThanOrEqual(idleAgain! + idleMs);
    expect(culledAt(history)).toBeLessThan(idleAgain! + idleMs + lateMs);
  });

  test("a connected client's lease holds the cull off until it ends", async () => {
    let leaseEnds = 0;
    let whileConnected: KernelStatus | undefined;
    const { result, history } = await session(kernelInput('leased'), {}, {
      meanwhile: async (handle) => {
        await untilRunning(handle);
        leaseEnds = await env.temporal.currentTimeMs() + idleMs + 1500;
        await handle.signal(kernelClientSignal, { connection: 'c1', until: leaseEnds });
        await wallTime(idleMs + 500);
        whileConnected = await handle.query(kernelStatusQuery);
      },
    });
    expect(whileConnected).toMatchObject({ phase: 'RUNNING', connections: 1 });
    expect(result).toMatchObject({ phase: 'CULLED', error: `culled after ${idleSeconds}s without activity` });
    expect(culledAt(history)).toBeGreaterThanOrEqual(leaseEnds);
    expect(culledAt(history)).toBeLessThan(leaseEnds + lateMs);
  });

  test('a kernel in use is culled at its maximum age', async () => {
    const maxAgeSeconds = idleSeconds + 1;
    const { result, history } = await session(kernelInput('old', { maxAgeSeconds }), {}, {
      meanwhile: async (handle) => {
        await untilRunning(handle);
        await handle.signal(kernelWireSignal, { busy: true, active: true });
      },
    });
    expect(result).toMatchObject({ phase: 'CULLED', error: `culled at its maximum age of ${maxAgeSeconds}s`, cleanedUp: true });
    expect(culledAt(history)).toBeGreaterThanOrEqual(runStartedAt(history) + maxAgeSeconds * 1000);
    expect(culledAt(history)).toBeLessThan(runStartedAt(history) + maxAgeSeconds * 1000 + lateMs);
    expect(culledAt(history)).toBeGreaterThan(signals(history, 'wire')[0]!.at + idleMs);
  });

  test("a pod reported ended, or missing, is started again in the same session; an earlier pod's report changes nothing", async () => {
    let launches = 0;
    let afterStaleReport: KernelStatus | undefined;
    const { result, calls } = await session(kernelInput('dies-twice', { maxRestarts: 3 }), {
      launchKernel: async () => ({ podIP: '10.0.0.7', podUid: `pod-uid-${++launches}` }),
    }, {
      meanwhile: async (handle) => {
        await untilRunning(handle);
        await handle.signal(kernelPodEndSignal, { uid: 'pod-uid-1', ...exited });
        await untilRestarted(handle, 1);
        // Another worker's report of the first pod, late: not the pod running now.
        await handle.signal(kernelPodEndSignal, { uid: 'pod-uid-1', failure: 'pod kernel-dies-twice disappeared before it ended', failureType: 'PodDisappeared' });
        await wallTime(500);
        afterStaleReport = await handle.query(kernelStatusQuery);
        // Found missing at a worker's start: named by its launch.
        await handle.signal(kernelPodEndSignal, { launchedAt: afterStaleReport.launchedAt!, failure: 'pod kernel-dies-twice disappeared before it ended', failureType: 'PodDisappeared' });
        await untilRestarted(handle, 2);
      },
    });
    expect(afterStaleReport).toMatchObject({ phase: 'RUNNING', restarts: 1 });
    expect(result).toMatchObject({ phase: 'CULLED', restarts: 2, cleanedUp: true });
    expect(calls.names().filter((name) => name === 'launchKernel' || name === 'deletePodAndWait'))
      .toEqual(['launchKernel', 'deletePodAndWait', 'launchKernel', 'deletePodAndWait', 'launchKernel', 'deletePodAndWait']);
    // The reports replace the session's own watch of its pod.
    expect(calls.names()).not.toContain('watchPodUntilEnd');
  });

  test("in a namespace the client brings, the kernel's own connections binding is made and removed, and the namespace stays", async () => {
    const input = kernelInput('shared');
    const plan = { ...input.plan, namespace: 'team-a', createNamespace: false, connectionsBinding: 'kernel-connections-shared' };
    const { result, calls } = await session({ ...input, plan }, { ensureNamespace: async () => ({ created: false }) });
    expect(result).toMatchObject({ phase: 'CULLED', cleanedUp: true });
    expect(calls.inputsOf('createRoleBinding')).toMatchObject([{ namespace: 'team-a', name: 'kernel-connections-shared', clusterRole: kernelConnectionsClusterRole }]);
    expect(calls.inputsOf('deleteRoleBinding')).toEqual([{ cluster: 'local', namespace: 'team-a', name: 'kernel-connections-shared' }]);
    expect(calls.names()).not.toContain('deleteKernelNamespace');
  });

  test('a pod that dies more than maxRestarts times fails the session, which still cleans up', async () => {
    let launches = 0;
    const { error, calls } = await session(kernelInput('dies'), {
      launchKernel: async () => ({ podIP: '10.0.0.7', podUid: `pod-uid-${++launches}` }),
    }, {
      meanwhile: async (handle) => {
        for (let restarts = 0; restarts <= 2; restarts++) {
          await untilRestarted(handle, restarts);
          await handle.signal(kernelPodEndSignal, { uid: `pod-uid-${restarts + 1}`, ...exited });
        }
      },
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toMatchObject({ type: 'KernelFailed', message: 'the kernel exited with code 1; restarted 2 times already' });
    expect(cause.details?.[0]).toMatchObject({ phase: 'FAILED', restarts: 2, cleanedUp: true });
    expect(calls.names().filter((name) => name !== 'watchKernelWire')).toEqual([
      'createKernelNamespace', 'createRoleBinding', 'createRoleBinding',
      'launchKernel', 'deletePodAndWait',
      'launchKernel', 'deletePodAndWait',
      'launchKernel', ...cleanup,
    ]);
  });

  test("continue-as-new carries the deadlines: the next run culls on the previous run's idle deadline", async () => {
    const idleSecondsHere = 3;
    // Wire reports that saw nothing move no deadline but make history: the run continues as new a
    // while after the last activity, so a next run that restarted the idle timer would cull late.
    // The test server fails a workflow task that continues as new if an activity heartbeat reached
    // the run meanwhile (it has started the next run by then, and never closes the first): the
    // watches here do not heartbeat. Each report goes once the run has handled the one before, so
    // that the first run's last event tells whether it has continued.
    const silentWatch = (): Promise<never> => Context.current().cancelled;
    const input = kernelInput('long', { cullIdleTimeoutSeconds: idleSecondsHere, historyEventLimit: 60 });
    const { result, calls, history, handle: kernel } = await session(input, { watchPodUntilEnd: silentWatch, watchKernelWire: silentWatch }, {
      meanwhile: async (handle) => {
        await untilRunning(handle);
        const firstRun = env.temporal.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
        const lastEvent = async () => (await firstRun.fetchHistory()).events!.at(-1)!.eventType;
        const handled = () => poll(async () => !taskToCome.has(await lastEvent()), () => `${handle.workflowId} handled its signal`);
        await handle.signal(kernelActivitySignal);
        await handled();
        await wallTime(500);
        await poll(async () => {
          await handle.signal(kernelWireSignal, { busy: false, active: false });
          await handled();
          return await lastEvent() === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW;
        }, () => `${handle.workflowId} continued as new`);
      },
    });
    const firstRunId = kernel.firstExecutionRunId;
    const firstRun = await env.temporal.client.workflow.getHandle(kernel.workflowId, firstRunId).fetchHistory();
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    expect(started.continuedExecutionRunId).toBe(firstRunId);
    const { resume } = defaultPayloadConverter.fromPayload<KernelSessionInput>(started.input!.payloads![0]!);
    const lastActivity = signals(firstRun, 'activity')[0]!.at;
    expect(resume?.lastActivity).toBeGreaterThanOrEqual(lastActivity);
    expect(resume?.lastActivity).toBeLessThan(lastActivity + 1000);
    expect(resume?.startedAt).toBeGreaterThanOrEqual(runStartedAt(firstRun));
    expect(resume?.startedAt).toBeLessThan(lastActivity);
    expect(resume).toMatchObject({ podIP: '10.0.0.7', podUid: 'pod-uid-1', restarts: 0 });

    expect(result).toMatchObject({ phase: 'CULLED', error: `culled after ${idleSecondsHere}s without activity`, lastActivity: new Date(resume!.lastActivity).toISOString() });
    const deadline = resume!.lastActivity + idleSecondsHere * 1000;
    expect(runStartedAt(history)).toBeLessThan(deadline);
    expect(culledAt(history)).toBeGreaterThanOrEqual(deadline);
    expect(culledAt(history)).toBeLessThan(Math.min(deadline + lateMs, runStartedAt(history) + idleSecondsHere * 1000));
    // The next run keeps the same pod, and launches nothing.
    expect(calls.names().filter((name) => name === 'launchKernel' || name === 'createKernelNamespace' || name === 'deletePodAndWait'))
      .toEqual(['createKernelNamespace', 'launchKernel', 'deletePodAndWait']);
  });

  test('a shutdown during the launch cancels it, stops the session and removes what was made', async () => {
    let launchCancelled = false;
    const { result, calls } = await session(kernelInput('short'), {
      launchKernel: async () => {
        try {
          return await runsUntilCancelled();
        } catch (error) {
          launchCancelled = error instanceof CancelledFailure;
          throw error;
        }
      },
    }, {
      meanwhile: async (handle, launching) => {
        await launching.until('launchKernel');
        await handle.signal(shutdownKernelSignal, { reason: 'not needed', by: 'alice' });
      },
    });
    expect(result).toMatchObject({ phase: 'STOPPED', error: 'shut down by alice: not needed', cleanedUp: true });
    expect(result?.podIP).toBeUndefined();
    expect(calls.names()).toEqual(['createKernelNamespace', 'createRoleBinding', 'createRoleBinding', 'launchKernel', ...cleanup]);
    await poll(() => launchCancelled, () => 'the launch activity cancelled');
  });
});
