import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { janitorScheduleId, type JanitorReport } from '../../src/domain/janitor.js';
import { kernelWorkflowId } from '../../src/domain/workflow-ids.js';
import { sparkJobNames } from '../../src/domain/spark-job.js';
import { repoRoot } from '../../src/local/paths.js';
import { adminKubeConfig, eventually, statusOf, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { stackEnv } from './stack/stack-info.js';
import { sparkPiJob } from './stack/spark-pi.js';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
const run = promisify(execFile);
const graceSeconds = 3;

describe('the janitor (real worker, real control plane)', () => {
  let orchestrator: Orchestrator;
  beforeAll(async () => {
    orchestrator = await startOrchestrator({ JANITOR_GRACE_SECONDS: String(graceSeconds) });
  });
  afterAll(async () => {
    await orchestrator?.stop();
  });

  const get = async (path: string): Promise<any> => (await orchestrator.call('GET', path)).json();

  test('after a Spark job and a kernel are terminated by hand, a sweep removes what they left; running work and unlabelled objects are untouched', async () => {
    const user = uniqueName('jan');
    const terminatedJob = sparkPiJob(user, 600);
    const runningJob = sparkPiJob(user, 600);
    const kernelId = uniqueName('k');
    for (const body of [terminatedJob, runningJob]) expect((await orchestrator.call('POST', '/v1/spark-jobs', body)).statusCode).toBe(202);
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId, user })).statusCode).toBe(202);
    const [job, running] = await Promise.all([terminatedJob, runningJob].map((body) => eventually(() => get(`/v1/spark-jobs/${body.jobId}`), (status) => status.phase === 'RUNNING', 90_000)));
    const kernel = await eventually(() => get(`/v1/kernels/${kernelId}`), (status) => status.phase === 'RUNNING', 60_000);
    // Someone else's account in the user's namespace: no label of ours, never touched.
    const theirs = uniqueName('theirs');
    await core.createNamespacedServiceAccount({ namespace: job.namespace, body: { metadata: { name: theirs } } });

    const names = sparkJobNames(terminatedJob.jobId);
    await orchestrator.temporal.client.workflow.getHandle(names.workflowId).terminate('by hand, in a test');
    await orchestrator.temporal.client.workflow.getHandle(kernelWorkflowId(kernelId)).terminate('by hand, in a test');
    // Terminate runs no workflow code: everything is still there.
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace: job.namespace }))).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, graceSeconds * 1000));

    const response = await orchestrator.call('POST', '/v1/janitor/run');
    expect(response.statusCode).toBe(200);
    const report = response.json() as JanitorReport;
    expect(report.failures).toEqual([]);
    expect(report.clusters).toContain('local');
    const removed = report.removed.map((object) => `${object.kind} ${object.namespace ?? ''}/${object.name} ${object.workflowId} ${object.owner}`);
    expect(removed).toEqual(expect.arrayContaining([
      `Pod ${job.namespace}/${names.driverPod} ${names.workflowId} closed`,
      `RoleBinding ${job.namespace}/${names.roleBinding} ${names.workflowId} closed`,
      `ServiceAccount ${job.namespace}/${names.serviceAccount} ${names.workflowId} closed`,
      `Pod ${kernel.namespace}/${kernel.pod} ${kernelWorkflowId(kernelId)} closed`,
      `RoleBinding ${kernel.namespace}/kernel-controller ${kernelWorkflowId(kernelId)} closed`,
      `Namespace /${kernel.namespace} ${kernelWorkflowId(kernelId)} closed`,
    ]));
    // Pods before identities before namespaces.
    const kinds = report.removed.map((object) => object.kind);
    expect(kinds.lastIndexOf('Pod')).toBeLessThan(kinds.indexOf('ServiceAccount'));
    expect(kinds.lastIndexOf('RoleBinding')).toBeLessThan(kinds.indexOf('Namespace'));
    expect(removed.filter((line: string) => line.includes(sparkJobNames(running.jobId).workflowId))).toEqual([]);

    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace: job.namespace }))).toBe(404);
    expect(await statusOf(rbac.readNamespacedRoleBinding({ name: names.roleBinding, namespace: job.namespace }))).toBe(404);
    await eventually(() => statusOf(core.readNamespacedPod({ name: names.driverPod, namespace: job.namespace })), (code) => code === 404, 60_000);
    await eventually(() => statusOf(core.readNamespace({ name: kernel.namespace })), (code) => code === 404, 60_000);
    // Left alone: the running job's objects, the shared per-user namespace, the unlabelled account.
    const kept = sparkJobNames(running.jobId);
    expect(await statusOf(core.readNamespacedServiceAccount({ name: kept.serviceAccount, namespace: running.namespace }))).toBe(200);
    expect(await statusOf(core.readNamespacedPod({ name: kept.driverPod, namespace: running.namespace }))).toBe(200);
    expect(await statusOf(core.readNamespace({ name: job.namespace }))).toBe(200);
    expect(await statusOf(core.readNamespacedServiceAccount({ name: theirs, namespace: job.namespace }))).toBe(200);

    // A second sweep finds nothing more of theirs; the last report is there for operators and the CLI.
    const again = (await orchestrator.call('POST', '/v1/janitor/run')).json() as JanitorReport;
    expect(again.removed.filter((object) => object.workflowId === names.workflowId || object.workflowId === kernelWorkflowId(kernelId))).toEqual([]);
    const env = { ...process.env, ...stackEnv(), TEMPORAL_TASK_QUEUE: orchestrator.taskQueue, JANITOR_GRACE_SECONDS: String(graceSeconds) };
    const last = await eventually(async () => (await run(process.execPath, [join(repoRoot, 'dist', 'starter.js'), 'janitor', 'last'], { env })).stdout, (out) => /labelled object\(s\)/.test(out));
    expect(last).toMatch(/^swept \d+ cluster\(s\) at .*: \d+ labelled object\(s\), \d+ removed$/m);
    await orchestrator.call('POST', `/v1/spark-jobs/${running.jobId}/cancel`, { reason: 'test over' });
  }, 240_000);

  test('the worker creates its Schedule idempotently (interval, overlap SKIP), and scheduled sweeps run', async () => {
    const scheduled = await startOrchestrator({ JANITOR_INTERVAL_SECONDS: '60', JANITOR_GRACE_SECONDS: String(graceSeconds) });
    try {
      // A second worker of the same queue with another interval updates the one Schedule.
      const again = await startOrchestrator({ JANITOR_INTERVAL_SECONDS: '4', JANITOR_GRACE_SECONDS: String(graceSeconds), TEMPORAL_TASK_QUEUE: scheduled.taskQueue });
      await again.stop();
      const schedule = await scheduled.temporal.client.schedule.getHandle(janitorScheduleId(scheduled.taskQueue)).describe();
      expect(schedule.spec.intervals).toMatchObject([{ every: 4_000 }]);
      expect(schedule.policies.overlap).toBe('SKIP');
      expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'janitor', taskQueue: scheduled.taskQueue, args: [{ graceSeconds }] });
      const report = await eventually(async () => (await scheduled.call('GET', '/v1/janitor/last')).json(), (body: any) => body.finishedAt !== undefined, 60_000);
      expect(report.clusters).toContain('local');
      await scheduled.temporal.client.schedule.getHandle(janitorScheduleId(scheduled.taskQueue)).delete();
    } finally {
      await scheduled.stop();
    }
  }, 120_000);
});
