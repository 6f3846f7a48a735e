import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JanitorReport } from '../../src/domain/janitor.js';
import { sparkJobNames } from '../../src/domain/spark-job.js';
import { repoRoot, toolBinary } from '../../src/local/paths.js';
import { bridgeAddress } from '../../src/local/node/settings.js';
import { adminKubeConfig, eventually, statusOf, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { stackEnv } from './stack/stack-info.js';
import { auditEvents, describeOnRealNode, expectPiEstimate, watchPods } from './stack/real-node.js';
import { sparkPiJob } from './stack/spark-pi.js';
import { historyText } from '../support/history-text.js';

const run = promisify(execFile);
const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
/** Every service-account token is a JWT, and every JWT starts with the base64 of '{"'. */
const jwtLike = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;

const janitorGraceSeconds = 2;

/** A client-mode job's request, as the DSS plugin sends it. */
const leaseRequest = (user: string, extra: Record<string, unknown> = {}) => ({ jobId: uniqueName('lease'), user, deployMode: 'client', ...extra });

/** A client of the cluster configured by nothing but a lease's kubeconfig, as kubectl or Spark would read it. */
function clientOf(kubeconfig: unknown): CoreV1Api {
  const config = new KubeConfig();
  config.loadFromString(JSON.stringify(kubeconfig));
  return config.makeApiClient(CoreV1Api);
}

const tokenOf = (kubeconfig: any): string => kubeconfig.users[0].user.token;

describe('client-mode Spark jobs: a lease on the identity, kubeconfigs of it (real worker, real control plane)', () => {
  let orchestrator: Orchestrator;
  beforeAll(async () => {
    // One job in flight per user: leases take the same slot as jobs.
    orchestrator = await startOrchestrator({ SPARK_MAX_IN_FLIGHT_PER_USER: '1', JANITOR_GRACE_SECONDS: String(janitorGraceSeconds) });
  });
  afterAll(() => orchestrator.stop());

  const statusOfJob = async (jobId: string): Promise<any> => (await orchestrator.call('GET', `/v1/spark-jobs/${jobId}`)).json();
  const ended = (jobId: string, timeoutMs = 60_000) => eventually(() => statusOfJob(jobId), (status) => status.cleanedUp === true, timeoutMs);
  const kubeconfigOf = async (jobId: string): Promise<any> => {
    const answer = await orchestrator.call('POST', `/v1/spark-jobs/${jobId}/kubeconfig`);
    expect(answer.statusCode).toBe(200);
    return answer.json();
  };

  const historyOf = (jobId: string) => historyText(orchestrator.temporal, `spark-job-${jobId}`);

  test('start, a kubeconfig that works in the namespace only, renewals, the caller\'s end: SUCCEEDED, account gone, token refused, no token in history', async () => {
    const user = uniqueName('dss');
    const request = leaseRequest(user);
    const names = sparkJobNames(request.jobId);
    const namespace = `dss-ns-${user}`;
    const accepted = await orchestrator.call('POST', '/v1/spark-jobs', request);
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json()).toEqual({ jobId: request.jobId, workflowId: `spark-job-${request.jobId}` });
    expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).json()).toEqual(accepted.json());

    // Asked at once: the answer waits until the identity exists.
    const first = await kubeconfigOf(request.jobId);
    expect(first).toMatchObject({ namespace, serviceAccount: names.serviceAccount, tokenExpiresAt: expect.any(String), expiresAt: expect.any(String) });
    const context = `spark-job-${request.jobId}`;
    expect(first.kubeconfig).toMatchObject({
      apiVersion: 'v1', kind: 'Config', 'current-context': context,
      clusters: [{ name: context, cluster: { server: expect.stringMatching(/^https:\/\//), 'certificate-authority-data': expect.any(String) } }],
      contexts: [{ name: context, context: { cluster: context, user: context, namespace } }],
      users: [{ name: context, user: { token: expect.any(String) } }],
    });
    const token = tokenOf(first.kubeconfig);
    expect(token).toMatch(jwtLike);
    expect(Date.parse(first.tokenExpiresAt) - Date.now()).toBeGreaterThan(5 * 60_000);

    const status = await statusOfJob(request.jobId);
    expect(status).toMatchObject({ jobId: request.jobId, user, phase: 'RUNNING', deployMode: 'client', namespace, serviceAccount: names.serviceAccount, cleanedUp: false, lease: { leaseSeconds: 120 } });
    expect(Date.parse(status.lease.expiresAt)).toBeGreaterThan(Date.now() + 100_000);
    const account = await core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace });
    expect(account.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'compute-orchestrator', 'compute-orchestrator/kind': 'spark-job' });
    expect(account.metadata?.annotations?.['compute-orchestrator/workflow-id']).toBe(`spark-job-${request.jobId}`);

    // The token is the job's account, bound to the namespace as in cluster mode; a second kubeconfig holds a fresh one, both good.
    const asJob = clientOf(first.kubeconfig);
    expect(await statusOf(asJob.listNamespacedPod({ namespace }))).toBe(200);
    expect(await statusOf(asJob.listNamespacedPod({ namespace: 'kube-system' }))).toBe(403);
    expect(await statusOf(asJob.listNamespacedSecret({ namespace }))).toBe(403);
    const second = await kubeconfigOf(request.jobId);
    expect(tokenOf(second.kubeconfig)).not.toBe(token);
    expect(await statusOf(clientOf(second.kubeconfig).listNamespacedPod({ namespace }))).toBe(200);

    const renewed = await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/lease`);
    expect(renewed.statusCode).toBe(200);
    expect(Date.parse(renewed.json().expiresAt)).toBeGreaterThanOrEqual(Date.parse(second.expiresAt));

    expect((await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/end`, { exitCode: 0 })).statusCode).toBe(202);
    const done = await ended(request.jobId);
    expect(done).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0, deployMode: 'client', cleanedUp: true });
    expect(done.error).toBeUndefined();
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace }))).toBe(404);
    expect(await statusOf(rbac.readNamespacedRoleBinding({ name: names.roleBinding, namespace }))).toBe(404);
    // The binding's deletion refuses everything at once (403); the account's refuses the token itself
    // (401) once the API server's cache of the token's good answer (10 s) has passed.
    for (const kubeconfig of [first.kubeconfig, second.kubeconfig]) await eventually(() => statusOf(clientOf(kubeconfig).listNamespacedPod({ namespace })), (code) => code === 401, 15_000);
    // The per-user namespace outlives the job, as in cluster mode.
    expect(await statusOf(core.readNamespace({ name: namespace }))).toBe(200);

    for (const [method, path] of [['POST', 'lease'], ['POST', 'kubeconfig'], ['POST', 'end'], ['POST', 'cancel']] as const) {
      const refused = await orchestrator.call(method, `/v1/spark-jobs/${request.jobId}/${path}`, {});
      expect([path, refused.statusCode, refused.json().error.code]).toEqual([path, 409, 'CONFLICT']);
    }

    const text = await historyOf(request.jobId);
    expect(text).toContain('issueLeaseToken');
    expect(text).toContain('X25519-HKDF-SHA256-A256GCM');
    for (const issued of [token, tokenOf(second.kubeconfig)]) {
      expect(text).not.toContain(issued);
      for (const piece of issued.split('.')) expect(text).not.toContain(piece);
    }
    expect(text).not.toMatch(jwtLike);
  });

  test('a lease nobody renews is revoked when leaseSeconds have passed: FAILED saying so, the account gone, the token refused', async () => {
    const user = uniqueName('crashed-host');
    const request = leaseRequest(user, { leaseSeconds: 10 });
    const names = sparkJobNames(request.jobId);
    const namespace = `dss-ns-${user}`;
    expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).statusCode).toBe(202);
    const { kubeconfig, expiresAt } = await kubeconfigOf(request.jobId);
    const asJob = clientOf(kubeconfig);
    expect(await statusOf(asJob.listNamespacedPod({ namespace }))).toBe(200);

    // The host "dies": no renewal from here on. The account goes once the lease has expired.
    await eventually(() => statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace })), (code) => code === 404, 30_000);
    const revokedAt = Date.now();
    expect(revokedAt).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect(revokedAt).toBeLessThan(Date.parse(expiresAt) + 5_000);
    // The API server keeps a token's good answer for 10 s: the token itself is refused by then.
    await eventually(() => statusOf(asJob.listNamespacedPod({ namespace })), (code) => code === 401, 15_000);
    const done = await ended(request.jobId);
    expect(done).toMatchObject({ phase: 'FAILED', error: 'the lease expired: not renewed within 10s', cleanedUp: true, lease: { leaseSeconds: 10 } });
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace }))).toBe(404);
    expect(await statusOf(rbac.readNamespacedRoleBinding({ name: names.roleBinding, namespace }))).toBe(404);
    const renewal = await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/lease`);
    expect(renewal.statusCode).toBe(409);
  }, 60_000);

  test('the caller ends with a non-zero exit code: FAILED with the code; a cancel: CANCELLED; both cleaned up', async () => {
    const failed = leaseRequest(uniqueName('exit'));
    const cancelled = leaseRequest(uniqueName('cancel'));
    for (const request of [failed, cancelled]) expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).statusCode).toBe(202);
    for (const request of [failed, cancelled]) await eventually(() => statusOfJob(request.jobId), (status) => status.phase === 'RUNNING');
    expect((await orchestrator.call('POST', `/v1/spark-jobs/${failed.jobId}/end`, { exitCode: 2 })).statusCode).toBe(202);
    expect((await orchestrator.call('POST', `/v1/spark-jobs/${cancelled.jobId}/cancel`, { reason: 'aborted in DSS' })).statusCode).toBe(202);
    expect(await ended(failed.jobId)).toMatchObject({ phase: 'FAILED', exitCode: 2, error: 'the driver exited with code 2 (reported by integration-test)', cleanedUp: true });
    expect(await ended(cancelled.jobId)).toMatchObject({ phase: 'CANCELLED', error: 'cancelled by integration-test: aborted in DSS', cleanedUp: true });
    for (const request of [failed, cancelled]) {
      expect(await statusOf(core.readNamespacedServiceAccount({ name: sparkJobNames(request.jobId).serviceAccount, namespace: `dss-ns-${request.user}` }))).toBe(404);
    }
  });

  test('a lease takes the user\'s job slot: a second lease or a job is refused until it ends; a cluster-mode job has no lease', async () => {
    const user = uniqueName('quota');
    const request = leaseRequest(user);
    expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).statusCode).toBe(202);
    for (const other of [leaseRequest(user), sparkPiJob(user, 1)]) {
      const refused = await orchestrator.call('POST', '/v1/spark-jobs', other);
      expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'LIMIT_EXCEEDED']);
    }
    await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/end`, {});
    await ended(request.jobId);
    const job = sparkPiJob(user, 30);
    expect((await orchestrator.call('POST', '/v1/spark-jobs', job)).statusCode).toBe(202);
    expect((await statusOfJob(job.jobId)).deployMode).toBe('cluster');
    const noLease = await orchestrator.call('POST', `/v1/spark-jobs/${job.jobId}/lease`);
    expect([noLease.statusCode, noLease.json().error.message]).toEqual([409, `spark job '${job.jobId}' runs in cluster mode: it has no lease`]);
    await orchestrator.call('POST', `/v1/spark-jobs/${job.jobId}/cancel`, {});
    await ended(job.jobId);
  });

  test.each([
    [{ deployMode: 'local' }, 'deployMode', 'deployMode must be one of: cluster, client'],
    [{ deployMode: 'client', app: { image: 'apache/spark:4.0.1', mainApplicationFile: 'local:///a.jar' } }, 'app', 'app must be absent with deployMode client: the caller runs spark-submit itself'],
    [{ deployMode: 'client', leaseSeconds: 9 }, 'leaseSeconds', undefined],
    [{ deployMode: 'client', leaseSeconds: 3601 }, 'leaseSeconds', undefined],
    [{ deployMode: 'client', leaseSeconds: 60.5 }, 'leaseSeconds', undefined],
    [{ deployMode: 'cluster' }, 'app', 'app is required'],
    [{ leaseSeconds: 60, app: { image: 'apache/spark:4.0.1', mainApplicationFile: 'local:///a.jar' } }, 'leaseSeconds', 'leaseSeconds is for deployMode client only: a cluster-mode job needs no lease'],
  ])('400 naming the field, nothing created, for %j', async (fields, field, message) => {
    const user = uniqueName('bad');
    const jobId = uniqueName('bad');
    const response = await orchestrator.call('POST', '/v1/spark-jobs', { jobId, user, ...fields });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION', field });
    if (message) expect(response.json().error.message).toBe(message);
    expect((await orchestrator.call('GET', `/v1/spark-jobs/${jobId}`)).statusCode).toBe(404);
    expect(await statusOf(core.readNamespace({ name: `dss-ns-${user}` }))).toBe(404);
  });

  test('the CLI: submit --deploy-mode client, a kubeconfig written 0600 that works, renew, end --exit-code', async () => {
    const starter = async (...args: string[]): Promise<string> => {
      const env = { ...process.env, ...stackEnv(), TEMPORAL_TASK_QUEUE: orchestrator.taskQueue };
      return (await run(process.execPath, [join(repoRoot, 'dist', 'starter.js'), ...args], { env })).stdout;
    };
    const user = uniqueName('cli');
    const jobId = uniqueName('cli-lease');
    const namespace = `dss-ns-${user}`;
    expect(await starter('submit', '--deploy-mode', 'client', '--lease-seconds', '60', '--user', user, '--job-id', jobId))
      .toContain(`job ${jobId}  workflow spark-job-${jobId}  namespace ${namespace}`);
    const dir = mkdtempSync(join(tmpdir(), 'lease-cli-'));
    try {
      const file = join(dir, 'kubeconfig');
      // A file that was there, readable by others, is replaced by one that is not.
      writeFileSync(file, 'old', { mode: 0o644 });
      expect(await starter('lease', 'kubeconfig', jobId, '--output', file)).toContain(`kubeconfig of ${namespace}/${sparkJobNames(jobId).serviceAccount} written to ${file}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const asJob = new KubeConfig();
      asJob.loadFromFile(file);
      expect(await statusOf(asJob.makeApiClient(CoreV1Api).listNamespacedPod({ namespace }))).toBe(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await starter('lease', 'renew', jobId)).toMatch(/^lease until \d{4}-/);
    expect(await starter('lease', 'end', jobId, '--exit-code', '4')).toContain(`end requested for job ${jobId}`);
    expect(await ended(jobId)).toMatchObject({ phase: 'FAILED', exitCode: 4, cleanedUp: true });
  });

  test('a lease terminated by hand (no workflow code runs): the janitor removes its binding and account', async () => {
    const user = uniqueName('terminated');
    const request = leaseRequest(user);
    const names = sparkJobNames(request.jobId);
    const namespace = `dss-ns-${user}`;
    expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).statusCode).toBe(202);
    await eventually(() => statusOfJob(request.jobId), (status) => status.phase === 'RUNNING');
    await orchestrator.temporal.client.workflow.getHandle(names.workflowId).terminate('by hand, in a test');
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace }))).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, janitorGraceSeconds * 1000));
    const report = (await orchestrator.call('POST', '/v1/janitor/run')).json() as JanitorReport;
    expect(report.removed.map((object) => `${object.kind} ${object.namespace}/${object.name} ${object.owner}`)).toEqual(expect.arrayContaining([
      `RoleBinding ${namespace}/${names.roleBinding} closed`, `ServiceAccount ${namespace}/${names.serviceAccount} closed`,
    ]));
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace }))).toBe(404);
  });

  test('404 for the lease of an unknown job', async () => {
    for (const path of ['lease', 'kubeconfig', 'end']) {
      const answer = await orchestrator.call('POST', `/v1/spark-jobs/no-such-job/${path}`, {});
      expect([path, answer.statusCode, answer.text]).toEqual([path, 404, expect.any(String)]);
    }
  });
});

/** SparkPi compiled for the host's driver, as the image's examples jar is (tools/images/build.sh). */
async function sparkPiJar(dir: string): Promise<string> {
  const classes = join(dir, 'classes');
  const jar = join(dir, 'spark-pi.jar');
  const sparkJars = join(toolBinary('spark', 'spark-submit'), '..', '..', 'jars', '*');
  await run('javac', ['--release', '17', '-cp', sparkJars, '-d', classes, join(repoRoot, 'tools', 'images', 'spark', 'SparkPi.java')]);
  await run('jar', ['--create', '--file', jar, '-C', classes, '.']);
  return jar;
}

describeOnRealNode('client mode for real: spark-submit on the host with a lease\'s kubeconfig, executors on the real node', () => {
  let orchestrator: Orchestrator;
  let dir: string;
  beforeAll(async () => {
    orchestrator = await startOrchestrator();
    dir = mkdtempSync(join(tmpdir(), 'spark-lease-'));
  });
  afterAll(async () => {
    await orchestrator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SparkPi: driver on the host, 2 executors on node-0 made by the temporary account; the end revokes the token', async () => {
    const user = uniqueName('client');
    const namespace = `dss-ns-${user}`;
    const request = leaseRequest(user, { leaseSeconds: 30 });
    const names = sparkJobNames(request.jobId);
    const jar = await sparkPiJar(dir);
    expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).statusCode).toBe(202);
    const answer = await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/kubeconfig`);
    expect(answer.statusCode).toBe(200);
    const { kubeconfig } = answer.json();
    // As DSS writes it: a file only its user reads, named by KUBECONFIG for Spark's Kubernetes client.
    const kubeconfigFile = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigFile, JSON.stringify(kubeconfig), { mode: 0o600 });
    expect(statSync(kubeconfigFile).mode & 0o777).toBe(0o600);

    // The caller keeps its lease alive while its driver runs: far more than leaseSeconds.
    const renewals = setInterval(() => void orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/lease`), 5_000);
    const pods = watchPods(core, namespace);
    let output: { stdout: string; stderr: string };
    try {
      output = await run(toolBinary('spark', 'spark-submit'), [
        '--master', `k8s://${kubeconfig.clusters[0].cluster.server}`, '--deploy-mode', 'client',
        '--name', request.jobId, '--class', 'org.apache.spark.examples.SparkPi',
        '--conf', `spark.kubernetes.namespace=${namespace}`,
        '--conf', 'spark.kubernetes.container.image=apache/spark:4.0.1',
        // The executors reach the driver at the host's address on the node's bridge.
        '--conf', `spark.driver.host=${bridgeAddress}`, '--conf', `spark.driver.bindAddress=${bridgeAddress}`,
        '--conf', 'spark.driver.memory=512m', '--conf', 'spark.executor.instances=2', '--conf', 'spark.executor.memory=512m',
        '--conf', 'spark.kubernetes.executor.request.cores=250m',
        jar, '20',
      ], { env: { ...process.env, KUBECONFIG: kubeconfigFile }, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 });
    } finally {
      clearInterval(renewals);
      pods.stop();
    }
    expectPiEstimate(output.stdout);
    const executors = [...pods.seen.values()].filter((pod) => pod.role === 'executor');
    expect(executors.length).toBeGreaterThanOrEqual(2);
    for (const executor of executors) expect(executor.node).toBe('node-0');
    const creations = auditEvents().filter((event) => event.verb === 'create' && event.objectRef?.resource === 'pods' && !event.objectRef.subresource
      && event.objectRef.namespace === namespace && executors.some((executor) => executor.name === event.objectRef?.name));
    expect(creations.length).toBeGreaterThanOrEqual(2);
    for (const event of creations) expect(event.user.username).toBe(`system:serviceaccount:${namespace}:${names.serviceAccount}`);
    expect((await eventually(() => orchestrator.call('GET', `/v1/spark-jobs/${request.jobId}`), (status) => status.statusCode === 200)).json().phase).toBe('RUNNING');

    expect((await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/end`, { exitCode: 0 })).statusCode).toBe(202);
    const done = await eventually(async () => (await orchestrator.call('GET', `/v1/spark-jobs/${request.jobId}`)).json(), (status) => status.cleanedUp === true, 60_000);
    expect(done).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0 });
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace }))).toBe(404);
    await eventually(() => statusOf(clientOf(kubeconfig).listNamespacedPod({ namespace })), (code) => code === 401, 15_000);
    // Spark removed its executors when its context stopped.
    await eventually(() => core.listNamespacedPod({ namespace }), (list) => list.items.length === 0, 60_000);
  }, 420_000);
});
