import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Activities } from '../../src/activities/index.js';
import type { PodRef } from '../../src/activities/pods.js';
import type { Api } from '../../src/api/api-types.js';
import { buildApi } from '../../src/api/app.js';
import { hashToken, TokenRegistry } from '../../src/api/auth.js';
import { apiDeps } from '../../src/api/deps.js';
import { loadRuntimeConfig } from '../../src/config.js';
import { sparkJobNames, type SparkJobInput } from '../../src/domain/spark-job.js';
import { watchTaskQueue } from '../../src/domain/task-queues.js';
import { toolBinary } from '../../src/local/paths.js';
import { cancelSparkJobSignal, sparkJobStatusQuery } from '../../src/workflows/spark-job.js';

const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));
const taskQueue = 'spark-job-log-api';
const driverLogText = 'INFO SparkContext: Running Spark version 4.0.1\nPi is roughly 3.1416\n';

/** Jobs whose driver pod name says how their mocked activities behave. */
const activities = {
  ensureNamespace: async () => ({ created: false }),
  createServiceAccount: async () => undefined,
  createRoleBinding: async () => undefined,
  submitSparkJob: async () => ({ submitted: true }),
  async watchPodUntilEnd(ref: PodRef) {
    if (!ref.name.includes('still-running')) return { succeeded: true, exitCode: 0 };
    const context = Context.current();
    for (;;) {
      context.heartbeat();
      await context.sleep(100);
    }
  },
  async readPodLogTail(ref: PodRef) {
    if (ref.name.includes('no-log')) throw ApplicationFailure.nonRetryable(`pod ${ref.namespace}/${ref.name} was never scheduled on a node`, 'NoPodLog');
    return driverLogText;
  },
  deletePodAndWait: async () => undefined,
  deleteRoleBinding: async () => undefined,
  deleteServiceAccount: async () => undefined,
  signalWorkflows: async () => undefined,
} as unknown as Activities;

const job = (jobId: string): SparkJobInput => ({
  jobId, user: 'alice', cluster: 'local', namespace: 'dss-ns-alice', autoCreateNamespace: true,
  app: { image: 'spark', mainApplicationFile: 'local:///a.jar' },
});

describe('GET /v1/spark-jobs/:jobId/log (real API and Temporal dev server, mocked activities)', () => {
  let env: TestWorkflowEnvironment;
  let workers: Worker[];
  let running: Promise<unknown>;
  let api: Api;
  let baseUrl: string;
  const apiLog: string[] = [];

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: toolBinary('temporal') } } });
    const workflowBundle = await bundleWorkflowCode({ workflowsPath });
    workers = [
      await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities }),
      await Worker.create({ connection: env.nativeConnection, taskQueue: watchTaskQueue(taskQueue), activities }),
    ];
    running = Promise.all(workers.map((worker) => worker.run()));
    const tokens = new TokenRegistry({ tokens: [
      { name: 'plugin', sha256: hashToken('plugin-token'), scopes: ['spark-jobs'] },
      { name: 'kernels-only', sha256: hashToken('kernels-token'), scopes: ['kernels'] },
    ] });
    const identity = async <T>(payloads: T) => payloads;
    const temporal = { client: env.client, connection: env.connection, codec: { encode: identity, decode: identity }, close: async () => undefined };
    const logger = pino({ level: 'trace' }, new Writable({
      write(chunk: Buffer, _encoding, done) {
        apiLog.push(chunk.toString());
        done();
      },
    }));
    api = await buildApi({ ...apiDeps(loadRuntimeConfig({}), temporal, tokens, logger), taskQueue });
    baseUrl = await api.listen({ host: '127.0.0.1', port: 0 });

    for (const jobId of ['kept', 'no-log', 'still-running']) {
      await env.client.workflow.start('sparkJob', { taskQueue, workflowId: sparkJobNames(jobId).workflowId, args: [job(jobId)] });
    }
    for (const jobId of ['kept', 'no-log']) await env.client.workflow.getHandle(sparkJobNames(jobId).workflowId).result();
    const stillRunning = env.client.workflow.getHandle(sparkJobNames('still-running').workflowId);
    while ((await stillRunning.query(sparkJobStatusQuery)).phase !== 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 50));
  });

  afterAll(async () => {
    await api?.close();
    const stillRunning = env?.client.workflow.getHandle(sparkJobNames('still-running').workflowId);
    await stillRunning?.signal(cancelSparkJobSignal, { reason: 'test over' });
    await stillRunning?.result().catch(() => undefined);
    for (const worker of workers ?? []) worker.shutdown();
    await running;
    await env?.teardown();
  });

  const get = (jobId: string, token = 'plugin-token') => fetch(`${baseUrl}/v1/spark-jobs/${jobId}/log`, { headers: { authorization: `Bearer ${token}` } });

  test('200 text/plain with the kept end of the log once the job has ended', async () => {
    const response = await get('kept');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe(driverLogText);
  });

  test.each([
    { jobId: 'no-log', status: 404, code: 'NOT_FOUND', message: 'no driver log was kept: pod dss-ns-alice/spark-no-log-driver was never scheduled on a node' },
    { jobId: 'still-running', status: 409, code: 'CONFLICT', message: "spark job 'still-running' has not ended yet: the end of its driver log is kept when it ends" },
    { jobId: 'unknown', status: 404, code: 'NOT_FOUND', message: "no spark job 'unknown'" },
  ])('$jobId: $status $code', async ({ jobId, status, code, message }) => {
    const response = await get(jobId);
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error: { code, message } });
  });

  test('needs the scope of reading a job, spark-jobs', async () => {
    const response = await get('kept', 'kernels-token');
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  test("the API's log lines name the request, never the log's content", () => {
    expect(apiLog.some((line) => line.includes('/v1/spark-jobs/kept/log'))).toBe(true);
    expect(apiLog.filter((line) => line.includes('Pi is roughly'))).toEqual([]);
  });
});
