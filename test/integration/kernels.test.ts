import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulatedKernelSpecs } from './stack/simulated-kernels.js';
import { searchAttributeKeys } from '../../src/domain/search-attributes.js';
import { adminKubeConfig, eventually, statusOf, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);

describe('kernel sessions through the REST API (real worker, real control plane)', () => {
  let orchestrator: Orchestrator;
  beforeAll(async () => {
    // The operators' catalogue plus two kernels whose images the local stack cannot start.
    const specsFile = join(tmpdir(), `kernel-specs-${process.pid}.json`);
    writeFileSync(specsFile, JSON.stringify(simulatedKernelSpecs([
      { name: 'unpullable', displayName: 'Missing image', language: 'python', image: 'simulate.invalid/err-image-pull', flavor: 'vanilla' },
      { name: 'never-starts', displayName: 'Stuck creating', language: 'python', image: 'simulate.invalid/container-creating', flavor: 'vanilla' },
    ])));
    orchestrator = await startOrchestrator({ KERNEL_SPECS_FILE: specsFile, KERNEL_MAX_PER_USER: '2', KERNEL_HISTORY_EVENT_LIMIT: '100' });
  });
  afterAll(() => orchestrator.stop());

  const statusOfKernel = async (kernelId: string): Promise<any> => (await orchestrator.call('GET', `/v1/kernels/${kernelId}`)).json();
  const until = (kernelId: string, phases: string[], timeoutMs = 60_000) => eventually(() => statusOfKernel(kernelId),
    (status) => phases.includes(status.phase) && (['STARTING', 'RUNNING'].includes(status.phase) || status.cleanedUp), timeoutMs);

  test('start → RUNNING with a pod IP in its own namespace; shutdown → STOPPED and nothing remains', async () => {
    const user = uniqueName('Ada.Lovelace');
    const kernelId = uniqueName('k');
    const accepted = await orchestrator.call('POST', '/v1/kernels', { kernelId, user, kernelName: 'ir', env: { KERNEL_CPUS: '250m' } });
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json()).toEqual({ kernelId, workflowId: `kernel-${kernelId}` });

    const running = await until(kernelId, ['RUNNING']);
    expect(running).toMatchObject({ kernelId, kernelName: 'ir', restarts: 0, cleanedUp: false });
    expect(running.podIP).toMatch(/^10\.244\./);
    expect(running.namespace).toMatch(/^ada-lovelace-.*-[0-9a-z]{8}$/);
    const pod = await core.readNamespacedPod({ name: running.pod, namespace: running.namespace });
    expect(pod.metadata?.labels).toMatchObject({ component: 'kernel', kernel_id: kernelId, 'compute-orchestrator/kind': 'kernel' });
    expect(pod.spec?.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 100, fsGroup: 100 });
    const binding = await rbac.readNamespacedRoleBinding({ name: 'kernel-controller', namespace: running.namespace });
    expect(binding.roleRef.name).toBe('kernel-controller');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'default', namespace: running.namespace }]);

    const { steps } = (await orchestrator.call('GET', `/v1/kernels/${kernelId}/progress`)).json() as { steps: Array<{ step: string; source: string }> };
    expect(steps.filter((entry) => entry.source === 'orchestrator').map((entry) => entry.step)).toEqual([
      `namespace ${running.namespace} created`, 'role binding kernel-controller created', `pod running with IP ${running.podIP}`,
    ]);
    // The scheduler's event, reported by the launch while it waited.
    expect(steps.filter((entry) => entry.source === 'kubernetes').map((entry) => entry.step))
      .toContain(`Normal Scheduled: Successfully assigned ${running.namespace}/${running.pod} to kwok-node-0`);

    expect((await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`)).statusCode).toBe(202);
    const stopped = await until(kernelId, ['STOPPED', 'FAILED']);
    expect(stopped).toMatchObject({ phase: 'STOPPED', error: 'shut down by integration-test', cleanedUp: true });
    // The result is the same status the query gives.
    expect(await orchestrator.temporal.client.workflow.getHandle(`kernel-${kernelId}`).result()).toEqual(stopped);
    expect(await statusOf(core.readNamespacedPod({ name: running.pod, namespace: running.namespace }))).toBe(404);
    await eventually(() => statusOf(core.readNamespace({ name: running.namespace })), (code) => code === 404, 60_000);
    expect((await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`)).statusCode).toBe(409);
  });

  test('with KERNEL_NAMESPACE the namespace is used as given, no role binding is made, and it stays', async () => {
    const team = uniqueName('team');
    await core.createNamespace({ body: { metadata: { name: team } } });
    await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: team }), () => true);
    const kernelId = uniqueName('k');
    await orchestrator.call('POST', '/v1/kernels', { kernelId, user: 'grace', env: { KERNEL_NAMESPACE: team } });
    const running = await until(kernelId, ['RUNNING']);
    expect(running.namespace).toBe(team);
    expect(await statusOf(rbac.readNamespacedRoleBinding({ name: 'kernel-controller', namespace: team }))).toBe(404);
    await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`);
    await until(kernelId, ['STOPPED']);
    expect(await statusOf(core.readNamespacedPod({ name: running.pod, namespace: team }))).toBe(404);
    expect((await core.readNamespace({ name: team })).status?.phase).toBe('Active');
  });

  test("a kernel whose names are taken by someone else's namespace or pod fails, and leaves them as they were", async () => {
    // `${user}-${kernelId}` is the namespace's name as it is when it is a valid one: a user and a
    // kernel id can spell a namespace that exists (kube-system, a team's).
    const user = 'taken';
    const kernelId = uniqueName('ns');
    const namespace = `${user}-${kernelId}`;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await orchestrator.call('POST', '/v1/kernels', { kernelId, user });
    const failed = await until(kernelId, ['FAILED', 'RUNNING', 'STOPPED']);
    expect(failed).toMatchObject({ phase: 'FAILED', error: `namespace ${namespace} already exists and belongs to someone else`, cleanedUp: true });
    const kept = await core.readNamespace({ name: namespace });
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();
    expect(kept.status?.phase).toBe('Active');

    // In a namespace the client brings, a pod of the kernel's name that is not ours.
    const podKernelId = uniqueName('pod');
    const podName = `${user}-${podKernelId}`;
    await core.createNamespacedPod({ namespace, body: { metadata: { name: podName }, spec: { containers: [{ name: 'other', image: 'other' }] } } });
    await orchestrator.call('POST', '/v1/kernels', { kernelId: podKernelId, user, env: { KERNEL_NAMESPACE: namespace } });
    const refused = await until(podKernelId, ['FAILED', 'RUNNING', 'STOPPED']);
    expect(refused).toMatchObject({ phase: 'FAILED', error: `pod ${namespace}/${podName} already exists and belongs to someone else`, cleanedUp: true });
    const pod = await core.readNamespacedPod({ name: podName, namespace });
    expect(pod.metadata?.deletionTimestamp).toBeUndefined();
    expect(pod.spec?.containers[0]?.name).toBe('other');
    await core.deleteNamespace({ name: namespace });
  });

  test('an idle kernel is culled after its timeout; activity postpones it', async () => {
    const kernelId = uniqueName('k');
    await orchestrator.call('POST', '/v1/kernels', { kernelId, user: 'linus', cullIdleTimeoutSeconds: 6 });
    const running = await until(kernelId, ['RUNNING']);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect((await orchestrator.call('POST', `/v1/kernels/${kernelId}/activity`)).statusCode).toBe(204);
    const touched = await statusOfKernel(kernelId);
    expect(new Date(touched.lastActivity).getTime()).toBeGreaterThan(new Date(running.lastActivity).getTime());
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect((await statusOfKernel(kernelId)).phase).toBe('RUNNING');
    const culled = await until(kernelId, ['CULLED', 'STOPPED', 'FAILED'], 30_000);
    expect(culled).toMatchObject({ phase: 'CULLED', error: 'culled after 6s without activity', cleanedUp: true });
    const idle = Date.now() - new Date(touched.lastActivity).getTime();
    expect(idle).toBeGreaterThanOrEqual(6_000);
  });

  test('a kernel in use is still culled at its maximum age', async () => {
    const kernelId = uniqueName('k');
    await orchestrator.call('POST', '/v1/kernels', { kernelId, user: 'busy', maxAgeSeconds: 8 });
    await until(kernelId, ['RUNNING']);
    // Used every second, so never idle: only the maximum age can end it.
    let status = await statusOfKernel(kernelId);
    for (let second = 0; second < 90 && !status.cleanedUp; second++) {
      await orchestrator.call('POST', `/v1/kernels/${kernelId}/activity`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      status = await statusOfKernel(kernelId);
    }
    expect(status).toMatchObject({ phase: 'CULLED', error: 'culled at its maximum age of 8s', cleanedUp: true });
  });

  test('an image that cannot be pulled fails in seconds, not at the launch timeout; cleanup done', async () => {
    const kernelId = uniqueName('k');
    const started = Date.now();
    await orchestrator.call('POST', '/v1/kernels', { kernelId, user: 'pull', kernelName: 'unpullable', env: { KERNEL_LAUNCH_TIMEOUT: '300' } });
    const failed = await until(kernelId, ['FAILED', 'RUNNING', 'STOPPED']);
    expect(failed.phase).toBe('FAILED');
    expect(failed.error).toMatch(/^kernel pod cannot start: ErrImagePull: /);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(failed.cleanedUp).toBe(true);
    await eventually(() => statusOf(core.readNamespace({ name: failed.namespace })), (code) => code === 404, 60_000);
  });

  test('a pod that never runs fails at KERNEL_LAUNCH_TIMEOUT; cleanup done', async () => {
    const kernelId = uniqueName('k');
    await orchestrator.call('POST', '/v1/kernels', { kernelId, user: 'slow', kernelName: 'never-starts', env: { KERNEL_LAUNCH_TIMEOUT: '5' } });
    const failed = await until(kernelId, ['FAILED', 'RUNNING', 'STOPPED']);
    expect(failed).toMatchObject({ phase: 'FAILED', error: 'kernel pod not running within the launch timeout of 5s (phase Pending)', cleanedUp: true });
    expect(await statusOf(core.readNamespacedPod({ name: failed.pod, namespace: failed.namespace }))).toBe(404);
  });

  test('a pod that dies on its own is started again, twice; the third death fails the session', async () => {
    const kernelId = uniqueName('k');
    await orchestrator.call('POST', '/v1/kernels', { kernelId, user: 'phoenix' });
    let status = await until(kernelId, ['RUNNING']);
    for (const restarts of [1, 2]) {
      await core.deleteNamespacedPod({ name: status.pod, namespace: status.namespace });
      status = await eventually(() => statusOfKernel(kernelId), (answer) => answer.phase === 'RUNNING' && answer.restarts === restarts);
      expect((await core.readNamespacedPod({ name: status.pod, namespace: status.namespace })).status?.phase).toBe('Running');
    }
    await core.deleteNamespacedPod({ name: status.pod, namespace: status.namespace });
    const failed = await until(kernelId, ['FAILED']);
    expect(failed.error).toMatch(/disappeared before it ended; restarted 2 times already$/);
    await eventually(() => statusOf(core.readNamespace({ name: failed.namespace })), (code) => code === 404, 60_000);
  });

  test('a user holds at most KERNEL_MAX_PER_USER kernels, across API replicas; an ended kernel frees its slot', async () => {
    const user = uniqueName('quota');
    const replica = await orchestrator.replica();
    const ids = [0, 1, 2, 3].map(() => uniqueName('k'));
    const answers = await Promise.all(ids.map((kernelId, index) => (index % 2 === 0 ? orchestrator : replica).call('POST', '/v1/kernels', { kernelId, user })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([202, 202, 409, 409]);
    expect(answers.find((answer) => answer.statusCode === 409)?.json().error)
      .toEqual({ code: 'LIMIT_EXCEEDED', message: `user '${user}' already has 2 kernels, the limit is 2: shut one down first` });
    const [first, second] = ids.filter((_, index) => answers[index]?.statusCode === 202) as [string, string];
    for (const refused of ids.filter((id) => id !== first && id !== second)) {
      expect((await orchestrator.call('GET', `/v1/kernels/${refused}`)).statusCode).toBe(404);
    }
    // The same kernel id again is the same kernel, not a third one.
    expect((await replica.call('POST', '/v1/kernels', { kernelId: first, user })).statusCode).toBe(202);

    // A kernel shut down gives its slot back after its cleanup.
    await until(first, ['RUNNING']);
    await orchestrator.call('DELETE', `/v1/kernels/${first}`);
    await until(first, ['STOPPED']);
    const third = uniqueName('k');
    expect((await replica.call('POST', '/v1/kernels', { kernelId: third, user })).statusCode).toBe(202);
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId: uniqueName('k'), user })).statusCode).toBe(409);

    // A kernel terminated by hand runs no code, so never releases: the quota finds it ended.
    const terminated = await until(second, ['RUNNING']);
    await orchestrator.temporal.client.workflow.getHandle(`kernel-${second}`).terminate('test: a session that never cleans up');
    const fourth = uniqueName('k');
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId: fourth, user })).statusCode).toBe(202);
    for (const kernelId of [third, fourth]) {
      await until(kernelId, ['RUNNING']);
      await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`);
      await until(kernelId, ['STOPPED']);
    }
    await core.deleteNamespace({ name: terminated.namespace });
  });

  test('a long session continues as new, keeping its state, progress and idle timer', async () => {
    const kernelId = uniqueName('k');
    await orchestrator.call('POST', '/v1/kernels', { kernelId, user: 'marathon', cullIdleTimeoutSeconds: 15 });
    const running = await until(kernelId, ['RUNNING']);
    const handle = orchestrator.temporal.client.workflow.getHandle(`kernel-${kernelId}`);
    const firstRun = (await handle.describe()).runId;
    // Each touch adds a handful of events; the configured limit is 100.
    for (let touch = 0; touch < 30; touch++) await orchestrator.call('POST', `/v1/kernels/${kernelId}/activity`);
    const lastTouch = Date.now();
    const resumed = await eventually(() => handle.describe(), (description) => description.runId !== firstRun && description.status.name === 'RUNNING');
    expect(resumed.historyLength).toBeLessThan(100);
    expect(resumed.typedSearchAttributes.get(searchAttributeKeys.computeKind)).toBe('kernel');
    const status = await statusOfKernel(kernelId);
    expect(status).toMatchObject({ phase: 'RUNNING', podIP: running.podIP, pod: running.pod, restarts: 0 });
    expect(new Date(status.lastActivity).getTime()).toBeGreaterThan(new Date(running.lastActivity).getTime());
    const { steps } = (await orchestrator.call('GET', `/v1/kernels/${kernelId}/progress`)).json() as { steps: Array<{ step: string }> };
    expect(steps.map((entry) => entry.step)).toContain(`pod running with IP ${running.podIP}`);

    // The idle deadline is the last touch's, not the new run's start.
    const culled = await until(kernelId, ['CULLED', 'STOPPED', 'FAILED'], 60_000);
    expect(culled).toMatchObject({ phase: 'CULLED', error: 'culled after 15s without activity', cleanedUp: true });
    const culledAt = new Date((await handle.query<Array<{ step: string; at: string }>>('progress')).at(-1)!.at).getTime();
    expect(culledAt - new Date(culled.lastActivity).getTime()).toBeGreaterThanOrEqual(15_000);
    expect(culledAt - lastTouch).toBeLessThan(15_000 + 10_000);
    await eventually(() => statusOf(core.readNamespace({ name: running.namespace })), (code) => code === 404, 60_000);
  });

  test.each([
    [{ user: 'u', env: { KERNEL_UID: '0' } }, 403, 'env.KERNEL_UID'],
    [{ user: 'u', env: { KERNEL_GID: '0' } }, 403, 'env.KERNEL_GID'],
    [{ user: 'u', env: { KERNEL_NAMESPACE: 'kube-system' } }, 403, 'env.KERNEL_NAMESPACE'],
    [{ user: 'kube', kernelId: 'system' }, 403, 'kernelId'],
    [{ user: 'u', env: { KERNEL_MEMORY: 'a lot' } }, 400, 'env.KERNEL_MEMORY'],
    [{ user: 'u', kernelName: 'cobol' }, 400, 'kernelName'],
    [{ user: 'u', env: { LD_PRELOAD: '/x.so' } }, 400, 'env.LD_PRELOAD'],
    [{ kernelName: 'python3' }, 400, 'user'],
  ])('%j is refused with %i naming %s, and nothing is started', async (body, status, field) => {
    const kernelId = 'kernelId' in body ? body.kernelId : uniqueName('refused');
    const response = await orchestrator.call('POST', '/v1/kernels', { kernelId, ...body });
    expect(response.statusCode).toBe(status);
    expect(response.json().error.field).toBe(field);
    expect((await orchestrator.call('GET', `/v1/kernels/${kernelId}`)).statusCode).toBe(404);
  });
});
