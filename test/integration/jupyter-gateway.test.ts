import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken } from '../../src/api/auth.js';
import { buildListQuery } from '../../src/domain/visibility-query.js';
import { kernelConnectionSecretName } from '../../src/domain/kernel-pod.js';
import { kernelWorkflowId } from '../../src/domain/workflow-ids.js';
import { localKernelSpecs } from '../../src/local/kernel-specs.js';
import { freePort } from '../../src/local/ports.js';
import { callApi } from './stack/http.js';
import { KernelChannels } from './stack/jupyter-client.js';
import { startJupyterServer, type JupyterServer } from './stack/jupyter-server.js';
import { adminKubeConfig, eventually, statusOf, uniqueName } from './stack/kube.js';
import { testToken } from './stack/orchestrator.js';
import { containersGone, describeOnRealNode } from './stack/real-node.js';
import { testStateDir } from './stack/stack-info.js';
import { writeKernelSpecs } from './stack/simulated-kernels.js';
import { killWorker, workerProcessSuite } from './stack/worker-process.js';

const core = adminKubeConfig().makeApiClient(CoreV1Api);
const aliceToken = `alice-${uniqueName('token')}`;
const bobToken = `bob-${uniqueName('token')}`;
/** Tokens bound to one user each, as a user's Jupyter Server would hold. */
const userTokens = [
  { name: 'alice-jupyter', sha256: hashToken(aliceToken), scopes: ['kernels' as const], user: 'alice' },
  { name: 'bob-jupyter', sha256: hashToken(bobToken), scopes: ['kernels' as const], user: 'bob' },
];

/** Our Python kernel, and one whose image (the pod sandbox's) runs but never connects back. */
const specsFile = writeKernelSpecs(testStateDir, 'kernel-specs-gateway', {
  ...localKernelSpecs(true),
  kernels: [
    ...localKernelSpecs(true).kernels,
    { name: 'silent', displayName: 'Never answers', language: 'python', image: 'registry.k8s.io/pause:3.10', flavor: 'vanilla' },
  ],
});

describeOnRealNode("Jupyter's gateway API on real kernels", () => {
  const suite = workerProcessSuite('jupyter-gateway');
  const taskQueue = uniqueName('gateway');
  const env = { TEMPORAL_TASK_QUEUE: taskQueue, KERNEL_SPECS_FILE: specsFile };
  let worker: ReturnType<typeof suite.workers.start>;
  let apiPort: number;
  let apiUrl: string;
  let jupyter: JupyterServer;
  const api = (method: string, path: string, body?: unknown, token = testToken) =>
    callApi(apiUrl, method, path, { token, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  /** Jupyter Server's own REST API, as JupyterLab calls it. */
  const jupyterApi = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${jupyter.url}${path}`, {
      method, headers: { authorization: `token ${jupyter.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: () => JSON.parse(text) };
  };

  beforeAll(async () => {
    worker = suite.workers.start(taskQueue, 'worker', env);
    apiPort = await freePort();
    apiUrl = await suite.workers.startApi('api', env, { port: apiPort, tokens: userTokens });
    jupyter = await startJupyterServer({ gatewayUrl: apiUrl, gatewayToken: aliceToken, env: { KERNEL_USERNAME: 'alice' } });
  }, 120_000);
  afterAll(async () => {
    await jupyter?.stop();
  });

  let kernelId: string;
  let namespace: string;

  test('Jupyter Server starts a kernel through us, and its cells run: x = 6 * 7, print(x) prints 42', async () => {
    const specs = await jupyterApi('GET', '/api/kernelspecs');
    expect(specs.status).toBe(200);
    expect(Object.keys(specs.json().kernelspecs)).toEqual(expect.arrayContaining(['python3']));
    const started = await jupyterApi('POST', '/api/kernels', { name: 'python3' });
    expect(started.status).toBe(201);
    kernelId = started.json().id;
    const channels = await KernelChannels.open(jupyter.url, kernelId, jupyter.token);
    expect(await channels.execute('x = 6 * 7')).toMatchObject({ status: 'ok' });
    expect(await channels.execute('print(x)')).toEqual({ status: 'ok', stdout: '42\n' });

    // The worker reports what the wire shows every few seconds.
    const session = (await eventually(() => api('GET', `/v1/kernels/${kernelId}`), (answer) => answer.json().executionState === 'idle', 20_000)).json();
    expect(session).toMatchObject({ kernelId, user: 'alice', kernelName: 'python3', phase: 'RUNNING', executionState: 'idle' });
    expect(session.connections).toBeGreaterThanOrEqual(1);
    namespace = session.namespace;
    const listed: string[] = [];
    for await (const execution of suite.temporal.client.workflow.list({ query: buildListQuery({ user: 'alice', kind: 'kernel' }) })) listed.push(execution.workflowId);
    expect(listed).toContain(kernelWorkflowId(kernelId));
    channels.close();
  }, 180_000);

  test('the API process killed between two cells: the client reconnects and the second cell sees the first one\'s variable', async () => {
    const before = await KernelChannels.open(jupyter.url, kernelId, jupyter.token);
    expect(await before.execute('y = x + 1')).toMatchObject({ status: 'ok' });
    await suite.workers.killApi(apiUrl);
    await suite.workers.startApi('api-again', env, { port: apiPort, tokens: userTokens });
    const after = await eventually(() => KernelChannels.open(jupyter.url, kernelId, jupyter.token).catch(() => undefined), (opened) => opened !== undefined, 60_000);
    expect(await after!.execute('print(y)')).toEqual({ status: 'ok', stdout: '43\n' });
    before.close();
    after!.close();
  }, 180_000);

  test('the worker killed between two cells: same, and the session goes on', async () => {
    const channels = await KernelChannels.open(jupyter.url, kernelId, jupyter.token);
    expect(await channels.execute('z = y * 2')).toMatchObject({ status: 'ok' });
    await killWorker(worker);
    worker = suite.workers.start(taskQueue, 'worker-again', env);
    expect(await channels.execute('print(z)')).toEqual({ status: 'ok', stdout: '86\n' });
    expect((await api('GET', `/v1/kernels/${kernelId}`)).json()).toMatchObject({ phase: 'RUNNING', restarts: 0 });
    channels.close();
  }, 180_000);

  test('interrupt stops a running while True: pass', async () => {
    const channels = await KernelChannels.open(jupyter.url, kernelId, jupyter.token);
    const running = channels.start('while True: pass', 120_000);
    await running.started;
    expect((await jupyterApi('POST', `/api/kernels/${kernelId}/interrupt`)).status).toBe(204);
    expect(await running.done).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(await channels.execute('print(z)')).toEqual({ status: 'ok', stdout: '86\n' });
    channels.close();
  }, 180_000);

  test('restart gives a fresh kernel in the same namespace, and the same session', async () => {
    const before = (await api('GET', `/v1/kernels/${kernelId}`)).json();
    const restarted = await jupyterApi('POST', `/api/kernels/${kernelId}/restart`);
    expect(restarted.status).toBe(200);
    const after = (await api('GET', `/v1/kernels/${kernelId}`)).json();
    expect(after).toMatchObject({ phase: 'RUNNING', namespace: before.namespace, pod: before.pod });
    expect(after.launchedAt).not.toBe(before.launchedAt);
    const channels = await eventually(() => KernelChannels.open(jupyter.url, kernelId, jupyter.token).catch(() => undefined), (opened) => opened !== undefined, 60_000);
    expect(await channels!.execute('print(z)')).toMatchObject({ status: 'error', ename: 'NameError' });
    channels!.close();
  }, 180_000);

  // No watch activity follows a kernel's pod: the worker's shared watch reports its end to the session.
  test('a kernel whose process exits on its own is started again in its session, and its client carries on', async () => {
    const before = (await api('GET', `/v1/kernels/${kernelId}`)).json();
    const channels = await KernelChannels.open(jupyter.url, kernelId, jupyter.token);
    // A second after the cell, so that its answer gets out first (os._exit flushes nothing).
    expect(await channels.execute('import os, threading; threading.Timer(1, os._exit, [3]).start()')).toMatchObject({ status: 'ok' });
    const again = (await eventually(() => api('GET', `/v1/kernels/${kernelId}`), (answer) => answer.json().phase === 'RUNNING' && answer.json().restarts === before.restarts + 1, 90_000)).json();
    expect(again).toMatchObject({ namespace: before.namespace, pod: before.pod });
    expect(again.launchedAt).not.toBe(before.launchedAt);
    const { steps } = (await api('GET', `/v1/kernels/${kernelId}/progress`)).json() as { steps: Array<{ step: string }> };
    expect(steps.map(({ step }) => step)).toContainEqual(expect.stringMatching(/^pod ended \(the kernel exited with code 3\): starting it again, restart 1 of \d+$/));
    channels.close();
    const reconnected = await eventually(() => KernelChannels.open(jupyter.url, kernelId, jupyter.token).catch(() => undefined), (opened) => opened !== undefined, 60_000);
    expect(await reconnected!.execute('print(6 * 7)')).toEqual({ status: 'ok', stdout: '42\n' });
    reconnected!.close();
  }, 180_000);

  test('the connection key appears in no history event, log line or API answer', async () => {
    const secret = await core.readNamespacedSecret({ name: kernelConnectionSecretName({ podName: (await api('GET', `/v1/kernels/${kernelId}`)).json().pod }), namespace });
    const key = JSON.parse(Buffer.from(secret.data!['connection.json']!, 'base64').toString('utf8')).key as string;
    expect(key.length).toBeGreaterThan(16);
    const handle = suite.temporal.client.workflow.getHandle(kernelWorkflowId(kernelId));
    const history = JSON.stringify(await handle.fetchHistory());
    const payloads = [...history.matchAll(/"data":"([^"]+)"/g)].map((match) => Buffer.from(match[1]!, 'base64'));
    const decoded = await suite.temporal.codec.decode(payloads.map((data) => ({ metadata: {}, data }))).catch(() => []);
    expect([history, ...decoded.map((payload) => Buffer.from(payload.data ?? []).toString('utf8'))].some((text) => text.includes(key))).toBe(false);
    const logs = [suite.workers.logDir, join(testStateDir, 'logs')].flatMap((dir) => readdirSync(dir).filter((file) => file.endsWith('.log')).map((file) => readFileSync(join(dir, file), 'utf8')));
    expect(logs.length).toBeGreaterThan(2);
    expect(logs.filter((text) => text.includes(key))).toEqual([]);
    // Lists as alice's (other test files' kernels are no business of this one).
    for (const [path, token] of [[`/v1/kernels/${kernelId}`, testToken], [`/v1/kernels/${kernelId}/progress`, testToken], ['/v1/kernels?user=alice', testToken],
      [`/api/kernels/${kernelId}`, aliceToken], ['/api/kernels', aliceToken]] as const) {
      const answer = await api('GET', path, undefined, token);
      expect([path, answer.statusCode]).toEqual([path, 200]);
      expect(answer.text).not.toContain(key);
    }
  }, 60_000);

  test("bad input: an unknown kernel is 404, KERNEL_UID 0 is 403, another user's kernel refused, and nothing is created", async () => {
    const unknown = await api('POST', '/api/kernels', { name: 'cobol', env: { KERNEL_USERNAME: 'alice' } }, aliceToken);
    expect(unknown.statusCode).toBe(404);
    const root = await api('POST', '/api/kernels', { name: 'python3', env: { KERNEL_USERNAME: 'alice', KERNEL_UID: '0' } }, aliceToken);
    expect(root.statusCode).toBe(403);
    expect(root.json()).toMatchObject({ reason: 'Forbidden', message: 'env.KERNEL_UID 0 is prohibited', error: { code: 'FORBIDDEN', field: 'env.KERNEL_UID' } });
    const impostor = await api('POST', '/api/kernels', { name: 'python3', env: { KERNEL_USERNAME: 'alice' } }, bobToken);
    expect(impostor.statusCode).toBe(403);
    await expect(KernelChannels.open(apiUrl, kernelId, bobToken)).rejects.toThrow('HTTP 403');
    expect((await api('GET', `/api/kernels/${kernelId}`, undefined, bobToken)).statusCode).toBe(403);
    expect((await api('GET', '/api/kernels', undefined, bobToken)).json()).toEqual([]);
    const bobsNamespaces = (await core.listNamespace()).items.filter((item) => item.metadata?.name?.startsWith('bob-'));
    expect(bobsNamespaces).toEqual([]);
    const alices = (await api('GET', '/v1/kernels?user=alice')).json().kernels as Array<{ kernelId: string }>;
    expect(alices.map((kernel) => kernel.kernelId)).toEqual([kernelId]);
  }, 60_000);

  test('shut down through Jupyter: the session ends STOPPED and nothing of it remains', async () => {
    expect((await jupyterApi('DELETE', `/api/kernels/${kernelId}`)).status).toBe(204);
    await eventually(() => api('GET', `/v1/kernels/${kernelId}`), (answer) => answer.json().cleanedUp === true, 90_000);
    expect((await api('GET', `/v1/kernels/${kernelId}`)).json().phase).toBe('STOPPED');
    await eventually(() => statusOf(core.readNamespace({ name: namespace })), (code) => code === 404, 60_000);
    await containersGone(namespace);
  }, 330_000);

  test('culling from the wire: an idle kernel is culled with no client touching it; a busy one is not', async () => {
    const start = async (user: string) => (await api('POST', '/v1/kernels', { user, kernelName: 'python3', cullIdleTimeoutSeconds: 30 })).json().kernelId as string;
    const [idle, busy] = await Promise.all([start('carol'), start('dave')]);
    const phase = async (id: string) => (await api('GET', `/v1/kernels/${id}`)).json().phase as string;
    await eventually(() => phase(busy), (value) => value === 'RUNNING', 90_000);
    const channels = await KernelChannels.open(apiUrl, busy, testToken);
    const sleeping = channels.start('import time; time.sleep(90)', 120_000);
    sleeping.done.catch(() => undefined);
    await sleeping.started;
    await eventually(() => api('GET', `/v1/kernels/${busy}`), (answer) => answer.json().executionState === 'busy', 30_000);
    // A client's readiness nudge on control is answered beside the running cell, its own busy and
    // idle among the cell's statuses: the kernel stays busy through two looks of the wire watch.
    await channels.request('control', 'kernel_info_request', {});
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    expect((await api('GET', `/v1/kernels/${busy}`)).json().executionState).toBe('busy');
    // The client goes: what keeps the kernel is its work alone.
    channels.close();
    await eventually(() => phase(idle), (value) => value === 'CULLED', 90_000);
    await new Promise((resolve) => setTimeout(resolve, 45_000));
    expect(await phase(busy)).toBe('RUNNING');
    await eventually(() => phase(busy), (value) => value === 'CULLED', 120_000);
    expect((await api('GET', `/v1/kernels/${busy}`)).json().error).toBe('culled after 30s without activity');
  }, 360_000);

  test('a kernel whose launcher never connects back fails at the launch timeout, saying so, and nothing of it remains', async () => {
    const answer = await api('POST', '/v1/kernels', { user: 'erin', kernelName: 'silent', env: { KERNEL_LAUNCH_TIMEOUT: '15' } });
    expect(answer.statusCode).toBe(202);
    const id = answer.json().kernelId as string;
    const ended = await eventually(() => api('GET', `/v1/kernels/${id}`), (status) => status.json().cleanedUp === true, 120_000);
    expect(ended.json()).toMatchObject({ phase: 'FAILED', error: 'the kernel did not connect back with its connection information within the launch timeout of 15s' });
    await eventually(() => statusOf(core.readNamespace({ name: ended.json().namespace })), (code) => code === 404, 60_000);
    await containersGone(ended.json().namespace);
  }, 330_000);

  test('two kernels in one namespace the client brings: each binds its own access, and the end of one leaves the other usable', async () => {
    const team = uniqueName('team');
    await core.createNamespace({ body: { metadata: { name: team } } });
    await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: team }), () => true);
    const ids: string[] = [];
    for (let index = 0; index < 2; index++) {
      const started = await api('POST', '/api/kernels', { name: 'python3', env: { KERNEL_USERNAME: 'alice', KERNEL_NAMESPACE: team } }, aliceToken);
      expect(started.statusCode).toBe(201);
      ids.push(started.json().id as string);
    }
    for (const id of ids) {
      const settled = await eventually(() => api('GET', `/v1/kernels/${id}`), (answer) => answer.json().phase !== 'STARTING', 180_000);
      expect(settled.json()).toMatchObject({ phase: 'RUNNING', namespace: team });
    }
    expect((await api('DELETE', `/api/kernels/${ids[0]}`, undefined, aliceToken)).statusCode).toBe(204);
    await eventually(() => api('GET', `/v1/kernels/${ids[0]}`), (answer) => answer.json().cleanedUp === true, 90_000);
    const channels = await KernelChannels.open(apiUrl, ids[1]!, aliceToken);
    expect(await channels.execute('print(6 * 7)')).toEqual({ status: 'ok', stdout: '42\n' });
    channels.close();
    expect((await api('DELETE', `/api/kernels/${ids[1]}`, undefined, aliceToken)).statusCode).toBe(204);
    await eventually(() => api('GET', `/v1/kernels/${ids[1]}`), (answer) => answer.json().cleanedUp === true, 90_000);
    expect((await core.readNamespace({ name: team })).status?.phase).toBe('Active');
    await core.deleteNamespace({ name: team });
    await containersGone(team);
  }, 420_000);
});
