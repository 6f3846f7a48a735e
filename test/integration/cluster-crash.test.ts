import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { ClustersClient } from '../../src/client/clusters.js';
import { startGkeFixture, type GkeFixture } from './stack/gke-fixture.js';
import { eventually, uniqueName } from './stack/kube.js';
import { readStackInfo } from './stack/stack-info.js';
import { killWorker, workerProcessSuite } from './stack/worker-process.js';

describe('a GKE cluster whose worker is killed while it follows an operation', () => {
  const suite = workerProcessSuite('cluster-crash');
  let fixture: GkeFixture;
  beforeAll(async () => {
    fixture = await startGkeFixture({ operationSeconds: 25 });
  });
  afterAll(async () => {
    await fixture.stop();
  });

  test('the next worker follows the same operation: the create to RUNNING (one create call), a resize to its end (one resize call)', async () => {
    const taskQueue = uniqueName('cluster-crash');
    const clusters = new ClustersClient(suite.temporal.client, taskQueue);
    const name = uniqueName('crash').slice(0, 30);
    const start = (worker: string) => suite.workers.start(taskQueue, worker, { CLUSTER_PRESETS_FILE: fixture.presetsFile });
    const calls = (method: string) => fixture.gke.calls().filter((call) => call.method === method);

    const first = start('first');
    await clusters.create({ name, provider: 'gke', gke: { connection: 'simulator', nodePools: { small: { machineType: 'e2-standard-4', nodeCount: 1 } } } }, 'crash-test');
    // The poller has reported progress: the operation is being followed.
    await eventually(() => clusters.status(name), (cluster) => cluster.progress !== undefined, 60_000);
    const [operation] = calls('GetOperation').map((call) => call.resource);
    await killWorker(first);
    const polledBeforeCrash = calls('GetOperation').length;

    const second = start('second');
    const running = await eventually(() => clusters.status(name), (cluster) => cluster.phase !== 'PROVISIONING', 90_000);
    expect(running).toMatchObject({ phase: 'RUNNING', endpoint: readStackInfo().apiserverUrl });
    expect(calls('CreateCluster').map((call) => call.code)).toEqual([status.OK]);
    const polled = calls('GetOperation');
    expect(polled.length).toBeGreaterThan(polledBeforeCrash);
    expect(new Set(polled.map((call) => call.resource))).toEqual(new Set([operation]));

    const resize = await clusters.resizeNodePool(name, { pool: 'small', nodeCount: 2, by: 'crash-test' });
    await eventually(async () => calls('GetOperation').filter((call) => call.resource !== operation).length, (count) => count > 0, 60_000);
    await killWorker(second);
    start('third');
    const resized = await eventually(() => clusters.status(name), (cluster) => cluster.nodePoolOperations?.[0]?.state !== 'PENDING' && cluster.nodePoolOperations?.[0]?.state !== 'RUNNING', 90_000);
    expect(resized.nodePoolOperations).toEqual([expect.objectContaining({ id: resize.id, state: 'DONE' })]);
    expect(resized.nodePools).toEqual([expect.objectContaining({ name: 'small', nodeCount: 2, state: 'RUNNING' })]);
    expect(calls('SetNodePoolSize').map((call) => call.code)).toEqual([status.OK]);

    await clusters.destroy(name, { by: 'crash-test' });
    expect(await eventually(() => clusters.status(name), (cluster) => cluster.phase === 'DELETED', 90_000)).toMatchObject({ phase: 'DELETED' });
  }, 360_000);
});
