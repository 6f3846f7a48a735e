import { describe, expect, test, beforeAll, afterAll } from '@jest/globals';
import {
  AuthenticationV1Api, CoreV1Api, RbacAuthorizationV1Api, type V1Pod,
} from '@kubernetes/client-node';
import { fakeNodeName } from '../../src/local/control-plane/kwok.js';
import { adminKubeConfig, eventually, kubeConfigWithToken, statusOf, uniqueName } from './stack/kube.js';
import { describeOnRealNode } from './stack/real-node.js';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);

async function createNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
  // The service-account controller makes `default` in each namespace; pods need it.
  await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: name }), () => true);
}

describe('the local control plane is a real Kubernetes', () => {
  const home = uniqueName('co-home');
  const elsewhere = uniqueName('co-elsewhere');

  beforeAll(async () => {
    await createNamespace(home);
    await createNamespace(elsewhere);
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: home }).catch(() => undefined);
    await core.deleteNamespace({ name: elsewhere }).catch(() => undefined);
  });

  test('a TokenRequest token can do what its role binding allows in its namespace and nothing elsewhere', async () => {
    await core.createNamespacedServiceAccount({ namespace: home, body: { metadata: { name: 'job-identity' } } });
    await rbac.createNamespacedRole({
      namespace: home,
      body: {
        metadata: { name: 'pods-and-configmaps' },
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: home,
      body: {
        metadata: { name: 'job-identity' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pods-and-configmaps' },
        subjects: [{ kind: 'ServiceAccount', name: 'job-identity', namespace: home }],
      },
    });

    const request = await core.createNamespacedServiceAccountToken({
      name: 'job-identity', namespace: home, body: { spec: { expirationSeconds: 600, audiences: [] } },
    });
    const token = request.status!.token;
    expect(token.split('.')).toHaveLength(3);
    expect(new Date(request.status!.expirationTimestamp).getTime()).toBeGreaterThan(Date.now() + 500_000);

    const review = await admin.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token } } });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${home}:job-identity`);

    const asJob = kubeConfigWithToken(token).makeApiClient(CoreV1Api);
    expect(await statusOf(asJob.listNamespacedPod({ namespace: home }))).toBe(200);
    expect(await statusOf(asJob.createNamespacedConfigMap({ namespace: home, body: { metadata: { name: 'made-by-job' }, data: { a: 'b' } } }))).toBe(200);
    expect((await core.readNamespacedConfigMap({ name: 'made-by-job', namespace: home })).data).toEqual({ a: 'b' });

    expect(await statusOf(asJob.listNamespacedPod({ namespace: elsewhere }))).toBe(403);
    expect(await statusOf(asJob.createNamespacedConfigMap({ namespace: elsewhere, body: { metadata: { name: 'x' } } }))).toBe(403);
    expect(await statusOf(asJob.listNamespacedSecret({ namespace: home }))).toBe(403);
    expect(await statusOf(asJob.deleteNamespacedPod({ name: 'anything', namespace: home }))).toBe(403);
    expect(await statusOf(asJob.listNamespace())).toBe(403);

    expect(await statusOf(kubeConfigWithToken(`${token}tampered`).makeApiClient(CoreV1Api).listNamespacedPod({ namespace: home }))).toBe(401);
  });

  test('deleting the service account revokes its tokens', async () => {
    await core.createNamespacedServiceAccount({ namespace: home, body: { metadata: { name: 'short-lived' } } });
    const request = await core.createNamespacedServiceAccountToken({ name: 'short-lived', namespace: home, body: { spec: { audiences: [] } } });
    const asJob = kubeConfigWithToken(request.status!.token).makeApiClient(CoreV1Api);
    expect(await statusOf(asJob.listNamespacedPod({ namespace: home }))).toBe(403);
    await core.deleteNamespacedServiceAccount({ name: 'short-lived', namespace: home });
    await eventually(() => statusOf(asJob.listNamespacedPod({ namespace: home })), (status) => status === 401);
  });

  test('the built-in roles are filled by the aggregation controller', async () => {
    const edit = await rbac.readClusterRole({ name: 'edit' });
    const resources = (edit.rules ?? []).flatMap((rule) => rule.resources ?? []);
    expect(resources).toEqual(expect.arrayContaining(['pods', 'configmaps', 'services']));
  });

  test('a namespace deletion finishes (namespace controller and garbage collector)', async () => {
    const name = uniqueName('co-gone');
    await createNamespace(name);
    await core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'content' } } });
    await core.deleteNamespace({ name });
    await eventually(() => statusOf(core.readNamespace({ name })), (status) => status === 404, 60_000);
  });
});

describe('kwok simulates pod lifecycles on a fake node', () => {
  const namespace = uniqueName('co-pods');

  beforeAll(() => createNamespace(namespace));
  afterAll(() => core.deleteNamespace({ name: namespace }).catch(() => undefined));

  const pod = (name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): V1Pod => ({
    metadata: { name, labels, annotations },
    // An image under simulate.invalid/ asks for the kwok node (the local stack's admission policy).
    spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'simulate.invalid/app:1' }] },
  });
  const read = (name: string) => () => core.readNamespacedPod({ name, namespace });

  test('the fake node is Ready', async () => {
    const node = await core.readNode({ name: fakeNodeName });
    expect(node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('True');
  });

  test('a pod is scheduled on the fake node and becomes Running with an IP, until deleted', async () => {
    await core.createNamespacedPod({ namespace, body: pod('kernel-like') });
    const running = await eventually(read('kernel-like'), (p) => p.status?.phase === 'Running' && !!p.status.podIP);
    expect(running.spec?.nodeName).toBe(fakeNodeName);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect((await read('kernel-like')()).status?.phase).toBe('Running');
    await core.deleteNamespacedPod({ name: 'kernel-like', namespace });
    await eventually(() => statusOf(read('kernel-like')()), (status) => status === 404);
  });

  test('a Spark driver ends Succeeded with exit code 0 by default', async () => {
    await core.createNamespacedPod({ namespace, body: pod('driver-ok', { 'spark-role': 'driver' }, { 'compute-orchestrator/simulate-run-seconds': '1' }) });
    const done = await eventually(read('driver-ok'), (p) => p.status?.phase === 'Succeeded');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
  });

  test('a Spark driver annotated with an exit code ends Failed with it', async () => {
    await core.createNamespacedPod({
      namespace,
      body: pod('driver-bad', { 'spark-role': 'driver' }, { 'compute-orchestrator/simulate-exit-code': '3', 'compute-orchestrator/simulate-run-seconds': '1' }),
    });
    const done = await eventually(read('driver-bad'), (p) => p.status?.phase === 'Failed');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
  });

  test('a pod annotated with a waiting reason stays Pending with it', async () => {
    await core.createNamespacedPod({ namespace, body: pod('bad-image', {}, { 'compute-orchestrator/simulate-waiting-reason': 'ErrImagePull' }) });
    const waiting = await eventually(read('bad-image'), (p) => !!p.status?.containerStatuses?.[0]?.state?.waiting);
    expect(waiting.status?.phase).toBe('Pending');
    expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await read('bad-image')()).status?.phase).toBe('Pending');
  });

  test('a pod no node can take stays Pending as Unschedulable', async () => {
    await core.createNamespacedPod({ namespace, body: { ...pod('nowhere'), spec: { ...pod('nowhere').spec!, nodeSelector: { 'no-such': 'label' } } } });
    const pending = await eventually(read('nowhere'), (p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') ?? false);
    expect(pending.status?.phase).toBe('Pending');
  });
});

describeOnRealNode('the real node runs real containers', () => {
  const namespace = uniqueName('co-real');

  beforeAll(() => createNamespace(namespace));
  afterAll(() => core.deleteNamespace({ name: namespace }).catch(() => undefined));

  const script = [
    // Cluster DNS (CoreDNS on the bridge) and the `kubernetes` Service (kube-proxy, then the API relay).
    'getent hosts kubernetes.default.svc.cluster.local',
    'curl -s -o /dev/null -w "api %{http_code}\\n" --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt https://kubernetes.default.svc/version',
    'echo "hello from $(hostname)"',
  ].join(' && ');

  test('a pod that asks for nothing runs on node-0: its output through the API, cluster DNS and the kubernetes Service reachable', async () => {
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name: 'hello' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'apache/spark:4.0.1', command: ['sh', '-c', script] }] } },
    });
    const done = await eventually(() => core.readNamespacedPod({ name: 'hello', namespace }), (pod) => ['Succeeded', 'Failed'].includes(pod.status?.phase ?? ''), 60_000);
    const log = await core.readNamespacedPodLog({ name: 'hello', namespace });
    expect(done.spec?.nodeName).toBe('node-0');
    expect(done.status?.phase).toBe('Succeeded');
    expect(log).toMatch(/^10\.96\.0\.1\s+kubernetes\.default\.svc\.cluster\.local/m);
    expect(log).toContain('api 200');
    expect(log).toContain('hello from hello');
  });
});
