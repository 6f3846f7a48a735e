import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ApiException, AuthenticationV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asFailure } from '../../src/activities/kubernetes/api-errors.js';
import { startFaultProxy, writeKubeconfigThroughProxy, type FaultProxy } from '../fault-proxy/index.js';
import { clusterAdminToken } from '../../src/local/cluster-admin-token.js';
import { adminKubeConfig, eventually, statusOf, uniqueName } from './stack/kube.js';
import { readStackInfo } from './stack/stack-info.js';

const admin = adminKubeConfig();
const adminCore = admin.makeApiClient(CoreV1Api);

interface OpenWatch {
  /** Every event so far, oldest first: type and object name. */
  events: Array<{ type: string; name: string }>;
  /** What client-node's `done` callback was given, once it is called. */
  done: Promise<unknown>;
  abort(): void;
}

/**
 * The fault proxy between client-node and the test stack's real API server (TLS verified with
 * the stack's CA), reached as a service account whose bearer token passes through the proxy.
 */
describe('fault proxy in front of the real API server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fault-proxy-'));
  const namespace = uniqueName('faults');
  const account = uniqueName('fault-proxy');
  let proxy: FaultProxy;
  let config: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    await adminCore.createNamespace({ body: { metadata: { name: namespace } } });
    const caPem = Buffer.from(admin.getCurrentCluster()?.caData ?? '', 'base64').toString('utf8');
    proxy = await startFaultProxy({ upstream: readStackInfo().apiserverUrl, caPem });
    writeKubeconfigThroughProxy(proxy.url, await clusterAdminToken(admin, account, 3600), join(dir, 'kubeconfig'));
    config = new KubeConfig();
    config.loadFromFile(join(dir, 'kubeconfig'));
    core = config.makeApiClient(CoreV1Api);
  });
  afterAll(async () => {
    await proxy?.stop();
    await adminCore.deleteNamespace({ name: namespace });
    rmSync(dir, { recursive: true, force: true });
  });

  const createConfigMap = (name: string) => adminCore.createNamespacedConfigMap({ namespace, body: { metadata: { name } } });
  const sawAdded = (watch: OpenWatch, name: string) => eventually(async () => watch.events, (events) => events.some((event) => event.type === 'ADDED' && event.name === name));

  async function watchConfigMaps(): Promise<OpenWatch> {
    const events: OpenWatch['events'] = [];
    let finished!: (error: unknown) => void;
    const done = new Promise<unknown>((resolvePromise) => (finished = resolvePromise));
    const controller = await new Watch(config).watch(`/api/v1/namespaces/${namespace}/configmaps`, {},
      (type, object: { metadata?: { name?: string } }) => events.push({ type, name: object.metadata?.name ?? '' }), finished);
    return { events, done, abort: () => controller.abort() };
  }

  test('a list goes through, as the service account: its bearer token passes the proxy', async () => {
    const before = proxy.stats().forwarded;
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((item) => item.metadata?.name)).toEqual(expect.arrayContaining(['kube-system', namespace]));
    const review = await config.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:kube-system:${account}`);
    expect(proxy.stats().forwarded - before).toBe(2);
  });

  test('a watch gets its events through the proxy one by one, while it stays open', async () => {
    const watch = await watchConfigMaps();
    await createConfigMap('first');
    await sawAdded(watch, 'first');
    await createConfigMap('second');
    await sawAdded(watch, 'second');
    watch.abort();
    expect(proxy.stats().recent).toEqual([]);
  });

  test('an injected 503 reaches client-node as an ApiException with code 503, which the orchestrator retries', async () => {
    proxy.inject({ match: { method: 'GET', path: /^\/api\/v1\/namespaces(\?|$)/ }, fault: { status: 503 }, times: 1 });
    const failure = await core.listNamespace().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiException);
    expect(failure).toMatchObject({ code: 503 });
    expect(JSON.parse((failure as ApiException<string>).body)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    expect(asFailure(failure, 'list namespaces')).toMatchObject({ type: 'KubernetesUnavailable', nonRetryable: false });
    expect((await core.listNamespace()).items.length).toBeGreaterThan(0);
    expect(proxy.stats().statuses[503]).toBe(1);
  });

  test('an outage cuts the open watch and fails requests until it ends', async () => {
    await createConfigMap('before-outage');
    const watch = await watchConfigMaps();
    await sawAdded(watch, 'before-outage');
    proxy.startOutage();
    const ended = await watch.done;
    expect(await statusOf(core.listNamespace())).toBe(503);
    proxy.endOutage();
    expect(await statusOf(core.listNamespace())).toBe(200);
    // The proxy resets the connection, so client-node's done callback hears of an error, not of an end.
    expect(ended).toMatchObject({ code: 'ECONNRESET' });
    expect(proxy.stats()).toMatchObject({ cuts: 1 });
    expect(proxy.stats().recent).toContainEqual(expect.objectContaining({ method: 'GET', path: expect.stringContaining(`/namespaces/${namespace}/configmaps?watch=true`), fault: { cut: true }, cause: 'outage' }));
  });
});
