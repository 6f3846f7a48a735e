import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CoreV1Api, Exec, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { PassThrough } from 'node:stream';
import { SparkJobsClient } from '../../src/client/spark-jobs.js';
import { sparkJobNames, type SparkJobInput } from '../../src/domain/spark-job.js';
import { adminKubeConfig, eventually, statusOf, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { auditEvents, containersGone, describeOnRealNode, expectPiEstimate, watchPods } from './stack/real-node.js';
import { killWorker, workerProcessSuite } from './stack/worker-process.js';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);

/** SparkPi as users write it: the image's own example, on the real node (no simulation asked). */
function realSparkPi(user: string, app: Record<string, unknown> = {}) {
  return {
    jobId: uniqueName('real'),
    user,
    app: {
      image: 'apache/spark:4.0.1', mainClass: 'org.apache.spark.examples.SparkPi',
      mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar', args: ['20'],
      driver: { memory: '512m' }, executor: { instances: 2, memory: '512m' },
      // The node has the machine's cores (2 here): a driver and two executors fit at a quarter each.
      conf: { 'spark.kubernetes.driver.request.cores': '250m', 'spark.kubernetes.executor.request.cores': '250m' },
      ...app,
    },
  };
}

/** Runs `command` in the pod's first container through the API server and the kubelet; its stdout. */
async function execIn(namespace: string, pod: string, command: string[]): Promise<string> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise<void>((resolvePromise, reject) => {
    void new Exec(admin).exec(namespace, pod, 'spark-kubernetes-driver', command, stdout, null, null, false, (status) => {
      if (status.status === 'Success') resolvePromise();
      else reject(new Error(`exec ${command.join(' ')}: ${JSON.stringify(status)}`));
    }).catch(reject);
  });
  return Buffer.concat(chunks).toString('utf8');
}

describeOnRealNode('Spark jobs on the real node (real spark-submit, real containers)', () => {
  let orchestrator: Orchestrator;
  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });
  afterAll(() => orchestrator.stop());

  const statusOfJob = async (jobId: string): Promise<any> => (await orchestrator.call('GET', `/v1/spark-jobs/${jobId}`)).json();
  const ended = (jobId: string, timeoutMs = 240_000) => eventually(() => statusOfJob(jobId), (status) => status.cleanedUp === true, timeoutMs);

  test('SparkPi with 2 executors: SUCCEEDED, all on node-0, executors made by the job\'s account, the log kept, nothing left', async () => {
    const user = uniqueName('pi');
    const request = realSparkPi(user);
    const names = sparkJobNames(request.jobId);
    const namespace = `dss-ns-${user}`;
    const pods = watchPods(core, namespace);
    try {
      expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).statusCode).toBe(202);
      const done = await ended(request.jobId);
      expect(done).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0, namespace, serviceAccount: names.serviceAccount });
    } finally {
      pods.stop();
    }
    const seen = [...pods.seen.values()];
    expect(seen.find((pod) => pod.role === 'driver')).toMatchObject({ name: names.driverPod, node: 'node-0', exitCode: 0 });
    const executors = seen.filter((pod) => pod.role === 'executor');
    expect(executors.length).toBeGreaterThanOrEqual(2);
    for (const executor of executors) expect(executor.node).toBe('node-0');

    const executorCreations = auditEvents().filter((event) => event.verb === 'create' && event.objectRef?.resource === 'pods'
      && !event.objectRef.subresource && event.objectRef.namespace === namespace && executors.some((executor) => executor.name === event.objectRef?.name));
    expect(executorCreations.length).toBeGreaterThanOrEqual(2);
    for (const event of executorCreations) expect(event.user.username).toBe(`system:serviceaccount:${namespace}:${names.serviceAccount}`);

    const log = await orchestrator.call('GET', `/v1/spark-jobs/${request.jobId}/log`);
    expect(log.statusCode).toBe(200);
    expectPiEstimate(log.text);

    expect((await core.listNamespacedPod({ namespace })).items).toEqual([]);
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace }))).toBe(404);
    expect(await statusOf(rbac.readNamespacedRoleBinding({ name: names.roleBinding, namespace }))).toBe(404);
    await containersGone(namespace);
  }, 420_000);

  test('an application that fails (a class that does not exist): FAILED with the container\'s exit code and the end of its log', async () => {
    const user = uniqueName('fail');
    const request = realSparkPi(user, { mainClass: 'org.apache.spark.examples.NoSuchClass', executor: { instances: 1, memory: '512m' } });
    const pods = watchPods(core, `dss-ns-${user}`);
    let done: any;
    try {
      expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).statusCode).toBe(202);
      done = await ended(request.jobId);
    } finally {
      pods.stop();
    }
    const driver = pods.seen.get(sparkJobNames(request.jobId).driverPod);
    expect(driver?.exitCode).toBeGreaterThan(0);
    expect(done).toMatchObject({ phase: 'FAILED', exitCode: driver!.exitCode });
    const log = await orchestrator.call('GET', `/v1/spark-jobs/${request.jobId}/log`);
    expect(log.text).toContain('org.apache.spark.examples.NoSuchClass');
  }, 300_000);

  test('an image that is not on the node: FAILED in seconds with the kubelet\'s reason, not at the launch timeout', async () => {
    const request = realSparkPi(uniqueName('noimage'), { image: 'apache/spark:0.0.0-not-here' });
    const started = Date.now();
    expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).statusCode).toBe(202);
    const done = await ended(request.jobId, 120_000);
    expect(done.phase).toBe('FAILED');
    expect(done.error).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(Date.now() - started).toBeLessThan(90_000);
  }, 150_000);

  test('inside a real driver, the job\'s own token reaches only its namespace: no other user\'s pods or secrets, no RBAC', async () => {
    const user = uniqueName('probe');
    const request = realSparkPi(user, { args: ['2000'], executor: { instances: 1, memory: '512m' } });
    const names = sparkJobNames(request.jobId);
    const namespace = `dss-ns-${user}`;
    const other = uniqueName('other');
    await core.createNamespace({ body: { metadata: { name: `dss-ns-${other}` } } });
    try {
      expect((await orchestrator.call('POST', '/v1/spark-jobs', request)).statusCode).toBe(202);
      await eventually(() => core.readNamespacedPod({ name: names.driverPod, namespace }), (pod) => pod.status?.phase === 'Running', 120_000);
      const quote = (word: string): string => `'${word.replace(/'/g, "'\\''")}'`;
      // The token is read inside the container: it never leaves the pod.
      const asJob = async (method: string, path: string, body?: string): Promise<string> => (await execIn(namespace, names.driverPod, ['sh', '-c', [
        'curl -s -o /dev/null -w %{http_code} -X', method,
        '--cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
        '-H "Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)"',
        ...(body ? ["-H 'Content-Type: application/json' -d", quote(body)] : []),
        quote(`https://kubernetes.default.svc${path}`),
      ].join(' ')])).trim();
      expect(await asJob('GET', `/api/v1/namespaces/${namespace}/pods`)).toBe('200');
      expect(await asJob('GET', `/api/v1/namespaces/dss-ns-${other}/pods`)).toBe('403');
      expect(await asJob('GET', `/api/v1/namespaces/dss-ns-${other}/secrets`)).toBe('403');
      expect(await asJob('GET', `/api/v1/namespaces/${namespace}/secrets`)).toBe('403');
      expect(await asJob('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
        JSON.stringify({ metadata: { name: 'escalate' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'ServiceAccount', name: names.serviceAccount, namespace }] }))).toBe('403');
      await orchestrator.call('POST', `/v1/spark-jobs/${request.jobId}/cancel`, { reason: 'probe done' });
      await ended(request.jobId);
    } finally {
      await core.deleteNamespace({ name: `dss-ns-${other}` });
    }
  }, 300_000);
});

describeOnRealNode('a worker killed (SIGKILL) while a real driver runs', () => {
  const suite = workerProcessSuite('real-crash-workers');

  test('the job still ends SUCCEEDED with the container\'s exit code, and nothing of it remains', async () => {
    const taskQueue = uniqueName('real-crash');
    const jobs = new SparkJobsClient(suite.temporal.client, taskQueue);
    const user = uniqueName('crash');
    const request = realSparkPi(user, { args: ['200'] });
    const input: SparkJobInput = { jobId: request.jobId, user, cluster: 'local', namespace: `dss-ns-${user}`, autoCreateNamespace: true, app: request.app };
    const names = sparkJobNames(input.jobId);
    const first = suite.workers.start(taskQueue, 'first');
    await jobs.start(input);
    await eventually(() => core.readNamespacedPod({ name: names.driverPod, namespace: input.namespace }), (pod) => pod.status?.phase === 'Running', 120_000);
    await killWorker(first);

    suite.workers.start(taskQueue, 'second');
    const done = await eventually(() => jobs.status(input.jobId), (status) => status.cleanedUp, 240_000);
    expect(done).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0 });
    expectPiEstimate(await jobs.log(input.jobId));
    expect((await core.listNamespacedPod({ namespace: input.namespace })).items).toEqual([]);
    expect(await statusOf(core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace: input.namespace }))).toBe(404);
    await containersGone(input.namespace);
  }, 480_000);
});
