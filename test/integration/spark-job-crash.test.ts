import { describe, expect, test } from '@jest/globals';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SparkJobsClient } from '../../src/client/spark-jobs.js';
import { sparkJobNames, type SparkJobInput } from '../../src/domain/spark-job.js';
import { adminKubeConfig, eventually, statusOf, uniqueName } from './stack/kube.js';
import { killWorker, workerProcessSuite } from './stack/worker-process.js';
import { sparkPiInput } from './stack/spark-pi.js';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
const steps: Array<[string, (input: SparkJobInput) => Promise<boolean>]> = [
  ['namespace created', async (input) => (await statusOf(core.readNamespace({ name: input.namespace }))) === 200],
  ['service account created', async (input) => (await statusOf(core.readNamespacedServiceAccount({ name: sparkJobNames(input.jobId).serviceAccount, namespace: input.namespace }))) === 200],
  ['role binding created', async (input) => (await statusOf(rbac.readNamespacedRoleBinding({ name: sparkJobNames(input.jobId).roleBinding, namespace: input.namespace }))) === 200],
  ['driver submitted', async (input) => (await statusOf(core.readNamespacedPod({ name: sparkJobNames(input.jobId).driverPod, namespace: input.namespace }))) === 200],
  ['driver running', async (input) => (await core.readNamespacedPod({ name: sparkJobNames(input.jobId).driverPod, namespace: input.namespace })).status?.phase === 'Running'],
];

describe('a worker killed (SIGKILL) after each step of a spark job, then started again', () => {
  const suite = workerProcessSuite('crash-workers');


  test.each(steps)('after %s: the job ends and nothing of it remains', async (step, reached) => {
    const taskQueue = uniqueName('crash');
    const jobs = new SparkJobsClient(suite.temporal.client, taskQueue);
    const user = uniqueName('crash');
    const input = sparkPiInput(user, 4);
    const first = suite.workers.start(taskQueue, `${step}-first`);
    await jobs.start(input);
    await eventually(() => reached(input), (yes) => yes, 60_000);
    await killWorker(first);

    const second = suite.workers.start(taskQueue, `${step}-second`);
    const done = await eventually(() => jobs.status(input.jobId), (status) => status.cleanedUp, 120_000);
    expect(done.phase).toBe('SUCCEEDED');
    expect(done.exitCode).toBe(0);

    const names = sparkJobNames(input.jobId);
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace: input.namespace }))).toBe(404);
    expect(await statusOf(rbac.readNamespacedRoleBinding({ name: names.roleBinding, namespace: input.namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedPod({ name: names.driverPod, namespace: input.namespace }))).toBe(404);
    const leftovers = await core.listNamespacedPod({ namespace: input.namespace });
    expect(leftovers.items.map((pod) => pod.metadata?.name)).toEqual([]);
    await killWorker(second);
  }, 240_000);

  test("no token ever appears in the workers' logs", () => {
    const logs = steps.flatMap(([step]) => ['first', 'second'].map((which) => readFileSync(join(suite.workers.logDir, `${step}-${which}.log`), 'utf8'))).join('\n');
    expect(logs).toContain('submitting the job to Spark');
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });
});
