import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import type { Activities } from '../../src/activities/index.js';
import type { DriverLog } from '../../src/domain/driver-log.js';
import type { SparkJobInput, SparkJobStatus } from '../../src/domain/spark-job.js';
import { watchTaskQueue } from '../../src/domain/task-queues.js';
import { toolBinary } from '../../src/local/paths.js';
import { cancelSparkJobSignal, sparkJobDriverLogQuery, sparkJobStatusQuery } from '../../src/workflows/spark-job.js';

const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

const input: SparkJobInput = {
  jobId: 'unit', user: 'alice', cluster: 'local', namespace: 'dss-ns-alice', autoCreateNamespace: true,
  app: { image: 'spark', mainApplicationFile: 'local:///a.jar' },
};

type Calls = string[];

const driverLogText = '25/11/21 10:00:01 INFO DAGScheduler: Job 0 finished\nPi is roughly 3.1416\n';

/** Activities that record their calls; each test overrides what it needs to go wrong. */
function recording(calls: Calls, overrides: Partial<Record<keyof Activities, (...args: any[]) => Promise<unknown>>> = {}): Activities {
  const record = (name: keyof Activities, result: unknown = undefined) => async (...args: unknown[]) => {
    calls.push(name);
    const override = overrides[name];
    return override ? override(...args) : result;
  };
  return {
    ensureNamespace: record('ensureNamespace', { created: false }),
    createServiceAccount: record('createServiceAccount'),
    deleteServiceAccount: record('deleteServiceAccount'),
    createRoleBinding: record('createRoleBinding'),
    deleteRoleBinding: record('deleteRoleBinding'),
    submitSparkJob: record('submitSparkJob', { submitted: true }),
    watchPodUntilEnd: record('watchPodUntilEnd', { succeeded: true, exitCode: 0 }),
    readPodLogTail: record('readPodLogTail', driverLogText),
    deletePodAndWait: record('deletePodAndWait'),
    signalWorkflows: record('signalWorkflows'),
  } as Activities;
}

/** A driver that runs until the watch is cancelled, as the real watch does (it heartbeats). */
const runsUntilCancelled = async (): Promise<never> => {
  const context = Context.current();
  for (;;) {
    context.heartbeat();
    await context.sleep(100);
  }
};

describe('sparkJob workflow (mocked activities, real Temporal dev server)', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundle;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: toolBinary('temporal') } } });
    workflowBundle = await bundleWorkflowCode({ workflowsPath });
  });
  afterAll(() => env?.teardown());

  interface Run {
    result?: SparkJobStatus;
    error?: unknown;
    status: SparkJobStatus;
    driverLog: DriverLog;
    history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
  }

  /** Runs a job to its end; `meanwhile` acts on it while it runs. */
  async function run(activities: Activities, jobInput = input, meanwhile?: (handle: WorkflowHandle) => Promise<void>): Promise<Run> {
    const taskQueue = `unit-${Math.random().toString(36).slice(2)}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
    // The driver watch runs on the watch task queue, as in the real worker.
    const watcher = await Worker.create({ connection: env.nativeConnection, taskQueue: watchTaskQueue(taskQueue), activities });
    return watcher.runUntil(worker.runUntil(async () => {
      const handle = await env.client.workflow.start('sparkJob', { taskQueue, workflowId: `spark-job-${taskQueue}`, args: [jobInput] });
      await meanwhile?.(handle);
      const outcome = await handle.result().then((result: SparkJobStatus) => ({ result }), (error: unknown) => ({ error }));
      return {
        ...outcome, status: await handle.query(sparkJobStatusQuery), driverLog: await handle.query(sparkJobDriverLogQuery), history: await handle.fetchHistory(),
      };
    }));
  }

  const untilRunning = async (handle: WorkflowHandle): Promise<void> => {
    while ((await handle.query(sparkJobStatusQuery)).phase !== 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 50));
  };

  test('the happy path creates in order and cleans up driver, binding, then account', async () => {
    const calls: Calls = [];
    const { result } = await run(recording(calls));
    expect(result).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0, cleanedUp: true });
    expect(calls).toEqual([
      'ensureNamespace', 'createServiceAccount', 'createRoleBinding', 'submitSparkJob', 'watchPodUntilEnd',
      'readPodLogTail', 'deletePodAndWait', 'deleteRoleBinding', 'deleteServiceAccount', 'signalWorkflows',
    ]);
  });

  test('the teardown takes one workflow task: the driver deleted, the identity removed and the cluster and quota told, all within it', async () => {
    const calls: Calls = [];
    let signals: unknown;
    const { result, history } = await run(recording(calls, { signalWorkflows: async (request: { signals: unknown }) => (signals = request.signals) }), { ...input, cluster: 'unit-gke' });
    expect(result).toMatchObject({ phase: 'SUCCEEDED', cleanedUp: true });
    const events = history.events ?? [];
    const types = events.map((event) => proto.temporal.api.enums.v1.EventType[event.eventType ?? 0]);
    const watchEnded = events.findIndex((event) => event.activityTaskCompletedEventAttributes && String(event.activityTaskCompletedEventAttributes.scheduledEventId) === String(events.find((scheduled) => scheduled.activityTaskScheduledEventAttributes?.activityType?.name === 'watchPodUntilEnd')?.eventId));
    expect(types.slice(watchEnded + 1).filter((type) => type === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED')).toHaveLength(1);
    expect(types.at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    expect(calls.slice(-4)).toEqual(['deletePodAndWait', 'deleteRoleBinding', 'deleteServiceAccount', 'signalWorkflows']);
    expect(signals).toEqual([
      { workflowId: 'cluster-unit-gke', signal: 'use', args: [{ workflowId: expect.stringMatching(/^spark-job-/), kind: 'spark-job', inUse: false }] },
      { workflowId: 'spark-job-quota-alice', signal: 'release', args: [expect.stringMatching(/^spark-job-/)] },
    ]);
  });

  test("each ending's own history replays: every patch is asked before the run's first local activity", async () => {
    const endings = [
      await run(recording([])),
      await run(recording([], { createRoleBinding: () => Promise.reject(ApplicationFailure.nonRetryable('create role binding: forbidden', 'KubernetesForbidden')) })),
      await run(recording([], { watchPodUntilEnd: runsUntilCancelled }), input, async (handle) => {
        await untilRunning(handle);
        await handle.signal(cancelSparkJobSignal, { reason: 'enough', by: 'test' });
      }),
    ];
    expect(endings.map(({ status }) => status.phase)).toEqual(['SUCCEEDED', 'FAILED', 'CANCELLED']);
    for (const { history } of endings) await expect(Worker.runReplayHistory({ workflowBundle }, history)).resolves.toBeUndefined();
  });

  test('a refused role binding fails the job and removes what may exist, and only that', async () => {
    const calls: Calls = [];
    const { error, status, driverLog } = await run(recording(calls, {
      createRoleBinding: () => Promise.reject(ApplicationFailure.nonRetryable('create role binding: forbidden', 'KubernetesForbidden')),
    }));
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(status).toMatchObject({ phase: 'FAILED', error: 'create role binding: forbidden', cleanedUp: true });
    // The binding's compensation was registered before its create, the driver's never was.
    expect(calls).toEqual(['ensureNamespace', 'createServiceAccount', 'createRoleBinding', 'deleteRoleBinding', 'deleteServiceAccount', 'signalWorkflows']);
    expect(driverLog).toEqual({ state: 'NOT_KEPT', reason: 'the job ended before its driver was submitted' });
  });

  test('cleanup never gives up: a delete failing three times is retried until it succeeds', async () => {
    const calls: Calls = [];
    let failures = 0;
    const { result } = await run(recording(calls, {
      deleteServiceAccount: () => (++failures <= 3 ? Promise.reject(new Error('connection refused')) : Promise.resolve()),
    }));
    expect(result).toMatchObject({ phase: 'SUCCEEDED', cleanedUp: true });
    expect(calls.filter((call) => call === 'deleteServiceAccount')).toHaveLength(4);
  }, 60_000);

  test('a driver that exits non-zero fails the execution with the status as details', async () => {
    const calls: Calls = [];
    const { error, status } = await run(recording(calls, { watchPodUntilEnd: async () => ({ succeeded: false, exitCode: 137, reason: 'OOMKilled' }) }));
    expect(status).toMatchObject({ phase: 'FAILED', exitCode: 137, error: 'the driver exited with code 137 (OOMKilled)', cleanedUp: true });
    expect((error as WorkflowFailedError).cause).toMatchObject({ type: 'SparkJobFailed' });
  });

  describe("the end of the driver's log", () => {
    test('is read once the driver has ended and before its pod is deleted, then answered by the query', async () => {
      const calls: Calls = [];
      const reads: unknown[] = [];
      const { result, driverLog } = await run(recording(calls, { readPodLogTail: async (ref: unknown) => {
        reads.push(ref);
        return driverLogText;
      } }));
      expect(result).toMatchObject({ phase: 'SUCCEEDED', cleanedUp: true });
      expect(driverLog).toEqual({ state: 'KEPT', text: driverLogText });
      expect(reads).toEqual([{ cluster: 'local', namespace: 'dss-ns-alice', name: 'spark-unit-driver', container: 'spark-kubernetes-driver' }]);
      expect(calls.indexOf('readPodLogTail')).toBe(calls.indexOf('watchPodUntilEnd') + 1);
      expect(calls.indexOf('readPodLogTail')).toBeLessThan(calls.indexOf('deletePodAndWait'));
      // User data stays out of the status and the result, which list and error paths show.
      expect(JSON.stringify(result)).not.toContain('Pi is roughly');
    });

    test('a run that keeps it replays its own history (the read is behind a patch marker)', async () => {
      const { history, driverLog } = await run(recording([]));
      expect(driverLog).toMatchObject({ state: 'KEPT' });
      expect(history.events?.some((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')).toBe(true);
      await expect(Worker.runReplayHistory({ workflowBundle }, history)).resolves.toBeUndefined();
    });

    test('is kept for a failed job too, which still fails with its exit code', async () => {
      const calls: Calls = [];
      const { error, status, driverLog } = await run(recording(calls, { watchPodUntilEnd: async () => ({ succeeded: false, exitCode: 1, reason: 'Error' }) }));
      expect(status).toMatchObject({ phase: 'FAILED', exitCode: 1, cleanedUp: true });
      expect((error as WorkflowFailedError).cause).toMatchObject({ type: 'SparkJobFailed' });
      expect(driverLog).toEqual({ state: 'KEPT', text: driverLogText });
      expect(JSON.stringify((error as WorkflowFailedError).cause)).not.toContain('Pi is roughly');
      expect(calls.slice(-5)).toEqual(['readPodLogTail', 'deletePodAndWait', 'deleteRoleBinding', 'deleteServiceAccount', 'signalWorkflows']);
    });

    test('a log that cannot be read is recorded with why after a bounded number of attempts; the job succeeds and is cleaned up', async () => {
      const calls: Calls = [];
      const refused = 'read the log of pod dss-ns-alice/spark-unit-driver: HTTP 500: dial tcp 10.0.0.10:10250: connect: connection refused';
      const { result, driverLog } = await run(recording(calls, { readPodLogTail: () => Promise.reject(ApplicationFailure.retryable(refused, 'KubernetesUnavailable')) }));
      expect(result).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0, cleanedUp: true });
      expect(driverLog).toEqual({ state: 'NOT_KEPT', reason: refused });
      expect(calls.filter((call) => call === 'readPodLogTail')).toHaveLength(3);
      expect(calls.slice(-4)).toEqual(['deletePodAndWait', 'deleteRoleBinding', 'deleteServiceAccount', 'signalWorkflows']);
    }, 60_000);

    test('a read that never answers delays the cleanup by 15 s at most', async () => {
      const calls: Calls = [];
      const { result, driverLog, history } = await run(recording(calls, { readPodLogTail: () => Context.current().sleep(600_000) }));
      expect(result).toMatchObject({ phase: 'SUCCEEDED', cleanedUp: true });
      expect(driverLog).toEqual({ state: 'NOT_KEPT', reason: "reading the driver's log timed out" });
      const times = history.events!.map((event) => Number(event.eventTime!.seconds));
      expect(times.at(-1)! - times[0]!).toBeLessThan(20);
      expect(calls.slice(-4)).toEqual(['deletePodAndWait', 'deleteRoleBinding', 'deleteServiceAccount', 'signalWorkflows']);
    }, 60_000);

    test('a pod that has no log is not asked again, and a failed job still fails as before', async () => {
      const calls: Calls = [];
      const { status, driverLog } = await run(recording(calls, {
        watchPodUntilEnd: async () => ({ succeeded: false, exitCode: 137, reason: 'OOMKilled' }),
        readPodLogTail: () => Promise.reject(ApplicationFailure.nonRetryable('pod dss-ns-alice/spark-unit-driver was never scheduled on a node', 'NoPodLog')),
      }));
      expect(status).toMatchObject({ phase: 'FAILED', exitCode: 137, error: 'the driver exited with code 137 (OOMKilled)', cleanedUp: true });
      expect(driverLog).toEqual({ state: 'NOT_KEPT', reason: 'pod dss-ns-alice/spark-unit-driver was never scheduled on a node' });
      expect(calls.filter((call) => call === 'readPodLogTail')).toHaveLength(1);
      expect(calls).toContain('deletePodAndWait');
    });

    test('a long reason is kept short, on one line', async () => {
      const calls: Calls = [];
      const { driverLog } = await run(recording(calls, {
        readPodLogTail: () => Promise.reject(ApplicationFailure.nonRetryable(`${'x'.repeat(1000)}\nsecond line`, 'KubernetesInvalid')),
      }));
      expect(driverLog).toMatchObject({ state: 'NOT_KEPT' });
      const { reason } = driverLog as { reason: string };
      expect(reason.length).toBeLessThanOrEqual(300);
      expect(reason).not.toContain('\n');
    });

    test('is read from a cancelled job\'s running driver before the driver is stopped', async () => {
      const calls: Calls = [];
      const { status, driverLog } = await run(recording(calls, { watchPodUntilEnd: runsUntilCancelled }), input, async (handle) => {
        await untilRunning(handle);
        expect(await handle.query(sparkJobDriverLogQuery)).toEqual({ state: 'PENDING' });
        await handle.signal(cancelSparkJobSignal, { reason: 'enough', by: 'test' });
      });
      expect(status).toMatchObject({ phase: 'CANCELLED', cleanedUp: true });
      expect(driverLog).toEqual({ state: 'KEPT', text: driverLogText });
      expect(calls.slice(-5)).toEqual(['readPodLogTail', 'deletePodAndWait', 'deleteRoleBinding', 'deleteServiceAccount', 'signalWorkflows']);
    });

    test('a job with a timeout that a client cancels ends CANCELLED, not FAILED', async () => {
      const calls: Calls = [];
      const { status } = await run(recording(calls, { watchPodUntilEnd: runsUntilCancelled }), { ...input, timeoutSeconds: 3600 }, async (handle) => {
        await untilRunning(handle);
        await handle.signal(cancelSparkJobSignal, { reason: 'aborted in DSS', by: 'test' });
      });
      expect(status).toMatchObject({ phase: 'CANCELLED', error: 'cancelled by test: aborted in DSS', cleanedUp: true });
      expect(status.exitCode).toBeUndefined();
    });

    test('is read when the job times out', async () => {
      const calls: Calls = [];
      const { status, driverLog } = await run(recording(calls, { watchPodUntilEnd: runsUntilCancelled }), { ...input, timeoutSeconds: 1 });
      expect(status).toMatchObject({ phase: 'FAILED', error: 'the job ran longer than its timeout of 1s', cleanedUp: true });
      expect(driverLog).toEqual({ state: 'KEPT', text: driverLogText });
      expect(calls.slice(-5)).toEqual(['readPodLogTail', 'deletePodAndWait', 'deleteRoleBinding', 'deleteServiceAccount', 'signalWorkflows']);
    });
  });
});
