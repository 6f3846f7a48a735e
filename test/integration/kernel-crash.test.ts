import { describe, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { toKernelSessionInput } from '../../src/client/kernel-request.js';
import { KernelsClient } from '../../src/client/kernels.js';
import { KernelCatalog } from '../../src/domain/kernel-specs.js';
import { adminKubeConfig, eventually, statusOf, uniqueName } from './stack/kube.js';
import { simulatedKernelSpecs } from './stack/simulated-kernels.js';
import { killWorker, workerProcessSuite } from './stack/worker-process.js';

const core = adminKubeConfig().makeApiClient(CoreV1Api);
describe('a kernel session whose worker is killed during launch and while running', () => {
  const suite = workerProcessSuite('kernel-crash');

  const kernelInput = (user: string, cullIdleTimeoutSeconds: number) => toKernelSessionInput({ kernelId: uniqueName('k'), user, cullIdleTimeoutSeconds }, {
    catalog: new KernelCatalog(simulatedKernelSpecs()),
    policy: { prohibitedUids: [0], prohibitedGids: [0], orchestratorNamespace: 'compute-orchestrator' },
    maxPerUser: 0,
    cullConnected: false,
    historyEventLimit: 2_000,
  });

  test('goes on, its idle timer still fires on time, and after it nothing remains', async () => {
    const taskQueue = uniqueName('kernel-crash');
    const kernels = new KernelsClient(suite.temporal.client, taskQueue);
    const input = kernelInput('crash', 25);
    const { plan } = input;
    const start = (name: string) => suite.workers.start(taskQueue, name);

    const first = start('first');
    await kernels.start(input);
    // During launch: the pod exists, the session has not seen it run yet.
    await eventually(() => statusOf(core.readNamespacedPod({ name: plan.podName, namespace: plan.namespace })), (code) => code === 200, 60_000);
    await killWorker(first);

    const second = start('second');
    const running = await eventually(() => kernels.status(plan.kernelId), (status) => status.phase === 'RUNNING', 60_000);
    expect(running.podIP).toBeDefined();
    await kernels.touch(plan.kernelId);
    const touched = new Date((await kernels.status(plan.kernelId)).lastActivity).getTime();
    await killWorker(second);

    // While running, no worker at all for a while; then a new one.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    start('third');
    const culled = await eventually(() => kernels.status(plan.kernelId), (status) => status.cleanedUp, 90_000);
    const culledAt = Date.now();
    expect(culled.phase).toBe('CULLED');
    expect(new Date(culled.lastActivity).getTime()).toBe(touched);
    // The deadline was kept across the crashes: not reset by them (which would add their time).
    expect(culledAt - touched).toBeGreaterThanOrEqual(25_000);
    expect(culledAt - touched).toBeLessThan(25_000 + 20_000);
    expect(await statusOf(core.readNamespacedPod({ name: plan.podName, namespace: plan.namespace }))).toBe(404);
    await eventually(() => statusOf(core.readNamespace({ name: plan.namespace })), (code) => code === 404, 60_000);
  }, 240_000);

  // A session keeps no watch of its own: the worker that starts next finds what no watch saw.
  test('whose pod is deleted while no worker runs starts its kernel again once a worker is back', async () => {
    const taskQueue = uniqueName('kernel-gone');
    const kernels = new KernelsClient(suite.temporal.client, taskQueue);
    const input = kernelInput('gone', 600);
    const { plan } = input;
    const podOf = () => core.readNamespacedPod({ name: plan.podName, namespace: plan.namespace });

    const first = suite.workers.start(taskQueue, 'first');
    await kernels.start(input);
    await eventually(() => kernels.status(plan.kernelId), (status) => status.phase === 'RUNNING', 60_000);
    const firstUid = (await podOf()).metadata?.uid;
    await killWorker(first);
    await core.deleteNamespacedPod({ name: plan.podName, namespace: plan.namespace });
    await eventually(() => statusOf(podOf()), (code) => code === 404, 60_000);

    suite.workers.start(taskQueue, 'second');
    const again = await eventually(() => kernels.status(plan.kernelId), (status) => status.phase === 'RUNNING' && status.restarts === 1, 60_000);
    expect((await podOf()).metadata?.uid).not.toBe(firstUid);
    expect((await kernels.progress(plan.kernelId)).map(({ step }) => step))
      .toContainEqual(expect.stringMatching(/^pod ended \(pod \S+ disappeared before it ended\): starting it again, restart 1 of 2$/));
    expect(again.podIP).toBeDefined();
    await kernels.shutdown(plan.kernelId, { reason: 'test over', by: 'crash' });
    const stopped = await eventually(() => kernels.status(plan.kernelId), (status) => status.cleanedUp, 60_000);
    expect(stopped.phase).toBe('STOPPED');
    await eventually(() => statusOf(core.readNamespace({ name: plan.namespace })), (code) => code === 404, 60_000);
  }, 240_000);
});
