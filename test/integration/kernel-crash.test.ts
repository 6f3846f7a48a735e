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

  test('goes on, its idle timer still fires on time, and after it nothing remains', async () => {
    const taskQueue = uniqueName('kernel-crash');
    const kernels = new KernelsClient(suite.temporal.client, taskQueue);
    const input = toKernelSessionInput({ kernelId: uniqueName('k'), user: 'crash', cullIdleTimeoutSeconds: 25 }, {
      catalog: new KernelCatalog(simulatedKernelSpecs()),
      policy: { prohibitedUids: [0], prohibitedGids: [0], orchestratorNamespace: 'compute-orchestrator' },
      maxPerUser: 0,
      cullConnected: false,
      historyEventLimit: 2_000,
    });
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
});
