import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import type { Activities } from '../../src/activities/index.js';
import type { SparkJobInput, SparkJobStatus } from '../../src/domain/spark-job.js';
import { watchTaskQueue } from '../../src/domain/task-queues.js';
import { toolBinary } from '../../src/local/paths.js';
import { sparkJobStatusQuery } from '../../src/workflows/spark-job.js';

const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

const input: SparkJobInput = {
  jobId: 'unit', user: 'alice', cluster: 'local', namespace: 'dss-ns-alice', autoCreateNamespace: true,
  app: { image: 'spark', mainApplicationFile: 'local:///a.jar' },
};

type Calls = string[];

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
    deletePodAndWait: record('deletePodAndWait'),
  } as Activities;
}

describe('sparkJob workflow (mocked activities, real Temporal dev server)', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundle;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: toolBinary('temporal') } } });
    workflowBundle = await bundleWorkflowCode({ workflowsPath });
  });
  afterAll(() => env?.teardown());

  async function run(activities: Activities, jobInput = input): Promise<{ result?: SparkJobStatus; error?: unknown; status: SparkJobStatus }> {
    const taskQueue = `unit-${Math.random().toString(36).slice(2)}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
    // The driver watch runs on the watch task queue, as in the real worker.
    const watcher = await Worker.create({ connection: env.nativeConnection, taskQueue: watchTaskQueue(taskQueue), activities });
    return watcher.runUntil(worker.runUntil(async () => {
      const handle = await env.client.workflow.start('sparkJob', { taskQueue, workflowId: `spark-job-${taskQueue}`, args: [jobInput] });
      const outcome = await handle.result().then((result: SparkJobStatus) => ({ result }), (error: unknown) => ({ error }));
      return { ...outcome, status: await handle.query(sparkJobStatusQuery) };
    }));
  }

  test('the happy path creates in order and cleans up driver, binding, then account', async () => {
    const calls: Calls = [];
    const { result } = await run(recording(calls));
    expect(result).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0, cleanedUp: true });
    expect(calls).toEqual([
      'ensureNamespace', 'createServiceAccount', 'createRoleBinding', 'submitSparkJob', 'watchPodUntilEnd',
      'deletePodAndWait', 'deleteRoleBinding', 'deleteServiceAccount',
    ]);
  });

  test('a refused role binding fails the job and removes what may exist, and only that', async () => {
    const calls: Calls = [];
    const { error, status } = await run(recording(calls, {
      createRoleBinding: () => Promise.reject(ApplicationFailure.nonRetryable('create role binding: forbidden', 'KubernetesForbidden')),
    }));
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(status).toMatchObject({ phase: 'FAILED', error: 'create role binding: forbidden', cleanedUp: true });
    // The binding's compensation was registered before its create, the driver's never was.
    expect(calls).toEqual(['ensureNamespace', 'createServiceAccount', 'createRoleBinding', 'deleteRoleBinding', 'deleteServiceAccount']);
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
});
