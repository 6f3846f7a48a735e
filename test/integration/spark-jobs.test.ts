import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { searchAttributeKeys } from '../../src/domain/search-attributes.js';
import { sparkJobNames } from '../../src/domain/spark-job.js';
import { adminKubeConfig, eventually, kubeConfigWithToken, statusOf, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { sparkPiApp } from './stack/spark-pi.js';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);


function job(user: string, conf: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return {
    jobId: uniqueName('job'),
    user,
    app: { ...sparkPiApp(2, conf), args: ['10'] },
    ...extra,
  };
}

describe('spark jobs through the REST API (real worker, real spark-submit, real control plane)', () => {
  let orchestrator: Orchestrator;

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });
  afterAll(() => orchestrator.stop());

  const phaseOf = async (jobId: string): Promise<any> => (await orchestrator.call('GET', `/v1/spark-jobs/${jobId}`)).json();
  // A final phase is reported as soon as it is known; `cleanedUp` turns true once cleanup is done.
  const until = (jobId: string, phases: string[], timeoutMs = 90_000) => eventually(() => phaseOf(jobId),
    (status) => phases.includes(status.phase) && (['PENDING', 'SUBMITTING', 'RUNNING'].includes(status.phase) || status.cleanedUp), timeoutMs);

  test('the happy path: SUCCEEDED, the driver ran as the temporary account in the user namespace, nothing left', async () => {
    const user = uniqueName('alice');
    const request = job(user);
    const accepted = await orchestrator.call('POST', '/v1/spark-jobs', request);
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json()).toEqual({ jobId: request.jobId, workflowId: `spark-job-${request.jobId}` });

    const running = await until(request.jobId, ['RUNNING', 'SUCCEEDED']);
    const names = sparkJobNames(request.jobId);
    expect(running).toMatchObject({ user, namespace: `dss-ns-${user}`, serviceAccount: names.serviceAccount, driverPod: names.driverPod });

    const driver = await core.readNamespacedPod({ name: names.driverPod, namespace: running.namespace });
    expect(driver.spec?.serviceAccountName).toBe(names.serviceAccount);
    expect(driver.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'compute-orchestrator', 'compute-orchestrator/kind': 'spark-job', 'spark-role': 'driver' });
    expect(driver.metadata?.annotations?.['compute-orchestrator/workflow-id']).toBe(`spark-job-${request.jobId}`);
    const description = await orchestrator.temporal.client.workflow.getHandle(`spark-job-${request.jobId}`).describe();
    expect(description.typedSearchAttributes.get(searchAttributeKeys.dssUser)).toBe(user);
    expect(description.typedSearchAttributes.get(searchAttributeKeys.computeKind)).toBe('spark-job');
    expect(description.typedSearchAttributes.get(searchAttributeKeys.k8sNamespace)).toBe(running.namespace);
    expect(description.typedSearchAttributes.get(searchAttributeKeys.clusterName)).toBe('local');
    const namespace = await core.readNamespace({ name: running.namespace });
    expect(namespace.metadata?.labels?.['compute-orchestrator/created-namespace']).toBe('true');

    // A token of the job's account, made while it exists, stands for the one spark-submit used.
    const token = (await core.createNamespacedServiceAccountToken({ name: names.serviceAccount, namespace: running.namespace, body: { spec: { audiences: [] } } })).status!.token;
    const done = await until(request.jobId, ['SUCCEEDED', 'FAILED']);
    expect(done).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0, cleanedUp: true });
    expect(done.error).toBeUndefined();

    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace: done.namespace }))).toBe(404);
    expect(await statusOf(rbac.readNamespacedRoleBinding({ name: names.roleBinding, namespace: done.namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedPod({ name: names.driverPod, namespace: done.namespace }))).toBe(404);
    expect(await statusOf(kubeConfigWithToken(token).makeApiClient(CoreV1Api).listNamespacedPod({ namespace: done.namespace }))).toBe(401);
    // The per-user namespace outlives the job.
    expect(await statusOf(core.readNamespace({ name: done.namespace }))).toBe(200);
  });

  test('the same job id twice is the same job', async () => {
    const request = job(uniqueName('bob'));
    const first = await orchestrator.call('POST', '/v1/spark-jobs', request);
    const second = await orchestrator.call('POST', '/v1/spark-jobs', request);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    await until(request.jobId, ['SUCCEEDED']);
    const again = await orchestrator.call('POST', '/v1/spark-jobs', request);
    expect(again.json()).toEqual(first.json());
    const runs = [];
    for await (const execution of orchestrator.temporal.client.workflow.list({ query: `WorkflowId="spark-job-${request.jobId}"` })) runs.push(execution);
    expect(runs).toHaveLength(1);
  });

  test('a driver that exits non-zero: FAILED with its exit code, cleanup done', async () => {
    const request = job(uniqueName('carol'), { 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-exit-code': '3' });
    await orchestrator.call('POST', '/v1/spark-jobs', request);
    const done = await until(request.jobId, ['SUCCEEDED', 'FAILED']);
    expect(done).toMatchObject({ phase: 'FAILED', exitCode: 3, cleanedUp: true, error: 'the driver exited with code 3 (Error)' });
    const names = sparkJobNames(request.jobId);
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace: done.namespace }))).toBe(404);
    await expect(orchestrator.temporal.client.workflow.getHandle(`spark-job-${request.jobId}`).result()).rejects.toThrow(WorkflowFailedError);
  });

  test('an image that cannot be pulled fails fast with the Kubernetes reason', async () => {
    const request = job(uniqueName('dave'), { 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-waiting-reason': 'ErrImagePull' });
    await orchestrator.call('POST', '/v1/spark-jobs', request);
    const done = await until(request.jobId, ['SUCCEEDED', 'FAILED'], 60_000);
    expect(done.phase).toBe('FAILED');
    expect(done.error).toMatch(/cannot start: ErrImagePull/);
    expect(done.cleanedUp).toBe(true);
  });

  test('a driver no node can take fails fast as Unschedulable', async () => {
    const request = job(uniqueName('ivan'), { 'spark.kubernetes.node.selector.no-such-label': 'anywhere' });
    await orchestrator.call('POST', '/v1/spark-jobs', request);
    const done = await until(request.jobId, ['SUCCEEDED', 'FAILED'], 60_000);
    expect(done.phase).toBe('FAILED');
    expect(done.error).toMatch(/cannot start: Unschedulable: 0\/\d nodes are available: \d node\(s\) didn't match Pod's node affinity\/selector/);
    expect(done.cleanedUp).toBe(true);
  });

  test('a job over its timeout is stopped: FAILED, driver and identity gone', async () => {
    const request = job(uniqueName('judy'), { 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-run-seconds': '300' }, { timeoutSeconds: 8 });
    await orchestrator.call('POST', '/v1/spark-jobs', request);
    const done = await until(request.jobId, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 60_000);
    expect(done).toMatchObject({ phase: 'FAILED', error: 'the job ran longer than its timeout of 8s', cleanedUp: true });
    const names = sparkJobNames(request.jobId);
    expect(await statusOf(core.readNamespacedPod({ name: names.driverPod, namespace: done.namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace: done.namespace }))).toBe(404);
  });

  test('a user over the in-flight limit gets 409 naming the limit; a job that ended frees its slot', async () => {
    const limited = await startOrchestrator({ SPARK_MAX_IN_FLIGHT_PER_USER: '2' });
    try {
      const user = uniqueName('quota');
      const long = () => job(user, { 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-run-seconds': '300' });
      const [first, second, third] = [long(), long(), long()];
      expect((await limited.call('POST', '/v1/spark-jobs', first)).statusCode).toBe(202);
      expect((await limited.call('POST', '/v1/spark-jobs', second)).statusCode).toBe(202);
      // The same job id again is the same job, not a third slot.
      expect((await limited.call('POST', '/v1/spark-jobs', first)).statusCode).toBe(202);
      const refused = await limited.call('POST', '/v1/spark-jobs', third);
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toEqual({ code: 'LIMIT_EXCEEDED', message: `user '${user}' already has 2 Spark jobs in flight, the limit is 2: wait for one to end or cancel one` });
      expect((await limited.call('GET', `/v1/spark-jobs/${third.jobId}`)).statusCode).toBe(404);
      await limited.call('POST', `/v1/spark-jobs/${first.jobId}/cancel`, { reason: 'make room' });
      await eventually(async () => (await limited.call('GET', `/v1/spark-jobs/${first.jobId}`)).json(), (status: any) => status.cleanedUp === true, 60_000);
      expect((await limited.call('POST', '/v1/spark-jobs', third)).statusCode).toBe(202);
      for (const request of [second, third]) await limited.call('POST', `/v1/spark-jobs/${request.jobId}/cancel`, { reason: 'test over' });
    } finally {
      await limited.stop();
    }
  }, 180_000);

  test.each(['signal', 'temporal'])('cancel by %s while RUNNING: CANCELLED, driver gone, identity gone', async (how) => {
    const request = job(uniqueName('erin'), { 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-run-seconds': '300' });
    await orchestrator.call('POST', '/v1/spark-jobs', request);
    const running = await until(request.jobId, ['RUNNING']);
    const names = sparkJobNames(request.jobId);
    await eventually(() => core.readNamespacedPod({ name: names.driverPod, namespace: running.namespace }), (pod) => pod.status?.phase === 'Running');
    if (how === 'signal') {
      const cancel = await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/cancel`, { reason: 'wrong input' });
      expect(cancel.statusCode).toBe(202);
    } else {
      await orchestrator.temporal.client.workflow.getHandle(`spark-job-${request.jobId}`).cancel();
    }
    const done = await until(request.jobId, ['CANCELLED', 'FAILED', 'SUCCEEDED']);
    expect(done.phase).toBe('CANCELLED');
    expect(done.error).toBe(how === 'signal' ? 'cancelled by integration-test: wrong input' : 'cancelled through Temporal');
    expect(done.cleanedUp).toBe(true);
    expect(await statusOf(core.readNamespacedPod({ name: names.driverPod, namespace: done.namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace: done.namespace }))).toBe(404);
    expect(await statusOf(rbac.readNamespacedRoleBinding({ name: names.roleBinding, namespace: done.namespace }))).toBe(404);
    const again = await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/cancel`, {});
    expect(again.statusCode).toBe(409);
  });

  test('with auto-create off, a missing namespace is a clear failure and nothing is created', async () => {
    const request = job(uniqueName('frank'), {}, { namespace: { template: 'team-${adminProperty:k8sNS}', autoCreate: false }, adminProperties: { k8sNS: uniqueName('absent') } });
    await orchestrator.call('POST', '/v1/spark-jobs', request);
    const done = await until(request.jobId, ['FAILED', 'SUCCEEDED'], 30_000);
    expect(done.error).toMatch(/^namespace 'team-absent-[a-z0-9-]+' does not exist and auto-create is off$/);
    expect(await statusOf(core.readNamespace({ name: done.namespace }))).toBe(404);
  });

  test('the job token can run Spark in its namespace and nothing else', async () => {
    const victim = uniqueName('victim');
    await core.createNamespace({ body: { metadata: { name: `dss-ns-${victim}` } } });
    const request = job(uniqueName('mallory'), { 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-run-seconds': '300' });
    await orchestrator.call('POST', '/v1/spark-jobs', request);
    const running = await until(request.jobId, ['RUNNING']);
    const names = sparkJobNames(request.jobId);
    const token = (await core.createNamespacedServiceAccountToken({ name: names.serviceAccount, namespace: running.namespace, body: { spec: { audiences: [] } } })).status!.token;
    const asJob = kubeConfigWithToken(token);
    const jobCore = asJob.makeApiClient(CoreV1Api);
    const jobRbac = asJob.makeApiClient(RbacAuthorizationV1Api);
    const executor = { metadata: { name: 'executor-1' }, spec: { containers: [{ name: 'x', image: 'apache/spark:4.0.1' }] } };
    expect(await statusOf(jobCore.createNamespacedPod({ namespace: running.namespace, body: executor }))).toBe(200);
    expect(await statusOf(jobCore.createNamespacedPod({ namespace: `dss-ns-${victim}`, body: executor }))).toBe(403);
    expect(await statusOf(jobCore.listNamespacedPod({ namespace: `dss-ns-${victim}` }))).toBe(403);
    expect(await statusOf(jobCore.listNamespacedSecret({ namespace: `dss-ns-${victim}` }))).toBe(403);
    expect(await statusOf(jobCore.listNamespacedSecret({ namespace: running.namespace }))).toBe(403);
    expect(await statusOf(jobRbac.listNamespacedRoleBinding({ namespace: running.namespace }))).toBe(403);
    expect(await statusOf(jobRbac.createNamespacedRoleBinding({ namespace: running.namespace, body: { metadata: { name: 'escalate' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'ServiceAccount', name: names.serviceAccount, namespace: running.namespace }] } }))).toBe(403);
    expect(await statusOf(jobRbac.listClusterRoleBinding())).toBe(403);
    expect(await statusOf(jobCore.listNode())).toBe(403);
    await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/cancel`, { reason: 'done probing' });
    await until(request.jobId, ['CANCELLED']);
    await core.deleteNamespacedPod({ name: 'executor-1', namespace: running.namespace });
  });

  test('no token ever reaches the workflow history', async () => {
    const request = job(uniqueName('grace'));
    await orchestrator.call('POST', '/v1/spark-jobs', request);
    await until(request.jobId, ['SUCCEEDED']);
    const history = await orchestrator.temporal.client.workflow.getHandle(`spark-job-${request.jobId}`).fetchHistory();
    const text = JSON.stringify(history);
    expect(text).toContain('submitSparkJob');
    // Every service-account token is a JWT, and every JWT starts with the base64 of '{"'.
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });

  test.each([
    [{ app: { image: 'x', mainApplicationFile: 'local:///a.jar' } }, 'user', 'user is required'],
    [{ user: 'a', app: { image: 'x', mainApplicationFile: 'local:///a.jar' }, priority: 1 }, 'priority', 'priority is not a known field'],
    [{ user: 'a', app: { image: 'x', mainApplicationFile: 'local:///a.jar', args: [1] } }, 'app.args.0', 'app.args.0 must be string'],
    [{ user: 'a', app: { image: 'x', mainApplicationFile: '/home/a.jar' } }, 'app.mainApplicationFile', undefined],
    [{ user: 'a', app: { image: 'Apache/Spark:4.0.1', mainApplicationFile: 'local:///a.jar' } }, 'app.image', "app.image must be an image reference such as apache/spark:4.0.1 or registry.example.com/team/spark@sha256:…, got 'Apache/Spark:4.0.1'"],
    [{ user: 'a', app: { image: 'apache/spark 4.0.1', mainApplicationFile: 'local:///a.jar' } }, 'app.image', undefined],
    [{ user: 'a', app: { image: 'x', mainApplicationFile: 'local:///a.jar', conf: { 'spark.kubernetes.namespace': 'kube-system' } } }, 'app.conf.spark.kubernetes.namespace', 'app.conf.spark.kubernetes.namespace is set by the orchestrator and cannot be overridden'],
    [{ user: 'a', namespace: { template: '${adminProperty:k8sNS}' }, app: { image: 'x', mainApplicationFile: 'local:///a.jar' } }, 'adminProperties.k8sNS', undefined],
    [{ user: 'a', namespace: { template: '${adminProperty:ns}' }, adminProperties: { ns: 'kube-system' }, app: { image: 'x', mainApplicationFile: 'local:///a.jar' } }, 'namespace.template', undefined],
  ])('400 naming the field for %j', async (body, field, message) => {
    const response = await orchestrator.call('POST', '/v1/spark-jobs', body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.field).toBe(field);
    if (message) expect(response.json().error.message).toBe(message);
  });

  test('404 for an unknown job; list by user', async () => {
    expect((await orchestrator.call('GET', '/v1/spark-jobs/no-such-job')).statusCode).toBe(404);
    const user = uniqueName('heidi');
    const request = job(user);
    await orchestrator.call('POST', '/v1/spark-jobs', request);
    await until(request.jobId, ['SUCCEEDED']);
    const listed = await eventually(async () => (await orchestrator.call('GET', `/v1/spark-jobs?user=${user}`)).json(), (answer) => answer.jobs[0]?.executionStatus === 'COMPLETED');
    expect(listed.jobs[0]).toMatchObject({ jobId: request.jobId, user, phase: 'SUCCEEDED', executionStatus: 'COMPLETED' });
  });
});
