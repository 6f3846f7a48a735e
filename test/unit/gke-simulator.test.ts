import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { v1 } from '@google-cloud/container';
import { credentials, status } from '@grpc/grpc-js';
import { startGkeSimulator, type GkeSimulator } from '../../src/local/gke-simulator/index.js';

const caCertificatePem = '-----BEGIN CERTIFICATE-----\nMIIBfakeCAforTheSimulator\n-----END CERTIFICATE-----\n';
const kubernetes = { endpoint: '127.0.0.1:6443', caCertificatePem };
const parent = 'projects/test-project/locations/europe-west1';
const clusterName = (cluster: string) => `${parent}/clusters/${cluster}`;
const operationName = (operation: string) => `${parent}/operations/${operation}`;
const ourLabels = { 'app-kubernetes-io-managed-by': 'compute-orchestrator', 'compute-orchestrator-owner': 'cluster-c1' };

let simulator: GkeSimulator;
let client: v1.ClusterManagerClient;

beforeEach(async () => {
  simulator = await startGkeSimulator({ kubernetes, operationSeconds: 1 });
  // No Google credentials: sslCreds takes their place, and an explicit universeDomain stops
  // google-auth-library probing the GCE metadata server (see the simulator's index.ts).
  client = new v1.ClusterManagerClient({
    apiEndpoint: '127.0.0.1', port: simulator.port, sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com',
  });
});

afterEach(async () => {
  await client.close();
  await simulator.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createCluster(cluster: string, resourceLabels: Record<string, string> = ourLabels) {
  const [operation] = await client.createCluster({ parent, cluster: { name: cluster, initialNodeCount: 1, resourceLabels } });
  return operation;
}

/** Polls like the orchestrator does; returns the DONE operation and every status seen on the way. */
async function waitForOperation(operation: string) {
  const seen: string[] = [];
  const percents: number[] = [];
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
    const [current] = await client.getOperation({ name: operationName(operation) });
    seen.push(String(current.status));
    percents.push(Number(current.progress?.metrics?.[0]?.intValue));
    if (current.status === 'DONE') return { done: current, seen, percents };
  }
  throw new Error(`operation ${operation} not DONE after 10 s`);
}

const distinct = (values: string[]) => values.filter((value, index) => values[index - 1] !== value);
const callsOf = (method: string) => simulator.calls().filter((call) => call.method === method);

describe('GKE simulator, through the real ClusterManagerClient', () => {
  test('create: the operation goes PENDING → RUNNING → DONE and the cluster PROVISIONING → RUNNING with endpoint and CA', async () => {
    const operation = await createCluster('c1');
    expect(operation).toMatchObject({
      operationType: 'CREATE_CLUSTER',
      status: 'PENDING',
      location: 'europe-west1',
      targetLink: `https://container.googleapis.com/v1/${clusterName('c1')}`,
      selfLink: `https://container.googleapis.com/v1/${operationName(operation.name!)}`,
      error: null,
    });
    expect(operation.name).toMatch(/^operation-/);
    expect(Date.parse(operation.startTime!)).not.toBeNaN();

    const [provisioning] = await client.getCluster({ name: clusterName('c1') });
    expect(provisioning).toMatchObject({ name: 'c1', status: 'PROVISIONING', location: 'europe-west1', endpoint: '', resourceLabels: ourLabels });

    const { done, seen, percents } = await waitForOperation(operation.name!);
    expect(distinct(['PENDING', ...seen])).toEqual(['PENDING', 'RUNNING', 'DONE']);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    expect(done).toMatchObject({ status: 'DONE', progress: { status: 'DONE' }, error: null });
    expect(Date.parse(done.endTime!)).toBeGreaterThanOrEqual(Date.parse(done.startTime!) + 1000);

    const [running] = await client.getCluster({ name: clusterName('c1') });
    expect(running).toMatchObject({
      status: 'RUNNING',
      endpoint: '127.0.0.1:6443',
      resourceLabels: ourLabels,
      nodePools: [{ name: 'default-pool', initialNodeCount: 1, status: 'RUNNING' }],
    });
    expect(Buffer.from(running.masterAuth!.clusterCaCertificate!, 'base64').toString()).toBe(caCertificatePem);

    const [{ clusters }] = await client.listClusters({ parent });
    expect(clusters?.map((cluster) => [cluster.name, cluster.status])).toEqual([['c1', 'RUNNING']]);
    const [{ operations }] = await client.listOperations({ parent: 'projects/test-project/locations/-' });
    expect(operations?.map((listed) => [listed.name, listed.status])).toEqual([[operation.name, 'DONE']]);
  });

  test('node pools from the request are kept and move with the cluster', async () => {
    const [operation] = await client.createCluster({
      parent,
      cluster: { name: 'pools', nodePools: [{ name: 'spark', initialNodeCount: 3, config: { machineType: 'e2-standard-8' } }] },
    });
    const pool = { name: 'spark', initialNodeCount: 3, config: { machineType: 'e2-standard-8' } };
    const [provisioning] = await client.getCluster({ name: clusterName('pools') });
    expect(provisioning.nodePools).toMatchObject([{ ...pool, status: 'PROVISIONING' }]);
    await waitForOperation(operation.name!);
    const [running] = await client.getCluster({ name: clusterName('pools') });
    expect(running.nodePools).toMatchObject([{ ...pool, status: 'RUNNING', selfLink: `https://container.googleapis.com/v1/${clusterName('pools')}/nodePools/spark` }]);
  });

  test('delete: the cluster goes STOPPING, then is gone when the operation is DONE', async () => {
    const created = await createCluster('c1');
    await expect(client.deleteCluster({ name: clusterName('c1') })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: `Operation ${created.name} is currently creating cluster c1. Please wait and try again once it is done.`,
    });
    await waitForOperation(created.name!);

    const [deletion] = await client.deleteCluster({ name: clusterName('c1') });
    expect(deletion).toMatchObject({ operationType: 'DELETE_CLUSTER', targetLink: `https://container.googleapis.com/v1/${clusterName('c1')}` });
    const [stopping] = await client.getCluster({ name: clusterName('c1') });
    expect(stopping.status).toBe('STOPPING');
    await expect(client.deleteCluster({ name: clusterName('c1') })).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });

    const { done } = await waitForOperation(deletion.name!);
    expect(done.error).toBeNull();
    await expect(client.getCluster({ name: clusterName('c1') })).rejects.toMatchObject({
      code: status.NOT_FOUND, details: `Not found: ${clusterName('c1')}.`,
    });
    await expect(client.deleteCluster({ name: clusterName('c1') })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  test('ALREADY_EXISTS for a cluster of that name, and when injected', async () => {
    await createCluster('c1');
    await expect(createCluster('c1')).rejects.toMatchObject({ code: status.ALREADY_EXISTS, details: `Already exists: ${clusterName('c1')}.` });

    simulator.failNextCreateWithAlreadyExists();
    await expect(createCluster('c2')).rejects.toMatchObject({ code: status.ALREADY_EXISTS, details: `Already exists: ${clusterName('c2')}.` });
    await expect(client.getCluster({ name: clusterName('c2') })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await createCluster('c2');
  });

  test('PERMISSION_DENIED keeps the quota message, creates nothing, and is used up', async () => {
    const quota = "Insufficient regional quota to satisfy request: resource \"CPUS\": request requires '48.0' and is short '16.0'";
    simulator.failNextCreateWithPermissionDenied(quota, { times: 2 });
    await expect(createCluster('c1')).rejects.toMatchObject({ code: status.PERMISSION_DENIED, details: quota });
    await expect(createCluster('c1')).rejects.toMatchObject({ code: status.PERMISSION_DENIED, details: quota });
    const [{ clusters }] = await client.listClusters({ parent });
    expect(clusters).toEqual([]);
    await expect(createCluster('c1')).resolves.toMatchObject({ operationType: 'CREATE_CLUSTER' });
  });

  test('an operation that fails ends DONE with its error, and the cluster stays in ERROR until deleted', async () => {
    simulator.failNextOperation('Google Compute Engine: Not all instances running in IGM.', { code: status.RESOURCE_EXHAUSTED });
    const operation = await createCluster('c1');
    const { done, seen } = await waitForOperation(operation.name!);
    expect(seen).toContain('RUNNING');
    expect(done).toMatchObject({
      status: 'DONE',
      error: { code: status.RESOURCE_EXHAUSTED, message: 'Google Compute Engine: Not all instances running in IGM.' },
    });

    const [failed] = await client.getCluster({ name: clusterName('c1') });
    expect(failed).toMatchObject({
      status: 'ERROR',
      endpoint: '',
      conditions: [{ canonicalCode: 'RESOURCE_EXHAUSTED', message: 'Google Compute Engine: Not all instances running in IGM.' }],
    });
    const [deletion] = await client.deleteCluster({ name: clusterName('c1') });
    await waitForOperation(deletion.name!);
    await expect(client.getCluster({ name: clusterName('c1') })).rejects.toMatchObject({ code: status.NOT_FOUND });

    const next = await createCluster('c2');
    await expect(waitForOperation(next.name!)).resolves.toMatchObject({ done: { error: null } });
  });

  test('UNAVAILABLE: gax retries GetCluster and DeleteCluster itself, not CreateCluster', async () => {
    await createCluster('c1');
    simulator.unavailableForNextCalls(2, 'GetCluster');
    const [cluster] = await client.getCluster({ name: clusterName('c1') });
    expect(cluster.name).toBe('c1');
    expect(callsOf('GetCluster').map((call) => call.code)).toEqual([status.UNAVAILABLE, status.UNAVAILABLE, status.OK]);

    // The client config marks DeleteCluster idempotent: after an UNAVAILABLE that had in fact
    // started a deletion, the retry would meet FAILED_PRECONDITION ("currently deleting").
    simulator.seedCluster(clusterName('seeded'));
    simulator.unavailableForNextCalls(1, 'DeleteCluster');
    const [deletion] = await client.deleteCluster({ name: clusterName('seeded') });
    expect(deletion.operationType).toBe('DELETE_CLUSTER');
    expect(callsOf('DeleteCluster').map((call) => call.code)).toEqual([status.UNAVAILABLE, status.OK]);

    simulator.unavailableForNextCalls(2);
    await expect(createCluster('c2')).rejects.toMatchObject({ code: status.UNAVAILABLE, details: 'The service is currently unavailable.' });
    await expect(createCluster('c2')).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await createCluster('c2');
    expect(callsOf('CreateCluster').map((call) => [call.resource, call.code])).toEqual([
      [parent, status.OK], [parent, status.UNAVAILABLE], [parent, status.UNAVAILABLE], [parent, status.OK],
    ]);
  });

  test('CancelOperation: a running create ends DONE with CANCELLED and its cluster in ERROR', async () => {
    const operation = await createCluster('c1');
    await sleep(300);
    await client.cancelOperation({ name: operationName(operation.name!) });
    const [cancelled] = await client.getOperation({ name: operationName(operation.name!) });
    expect(cancelled).toMatchObject({ status: 'DONE', error: { code: status.CANCELLED, message: 'Operation was cancelled.' } });
    expect(Number(cancelled.progress?.metrics?.[0]?.intValue)).toBeLessThan(100);

    await sleep(1000);
    const [cluster] = await client.getCluster({ name: clusterName('c1') });
    expect(cluster.status).toBe('ERROR');
    await expect(client.cancelOperation({ name: operationName(operation.name!) })).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(client.cancelOperation({ name: operationName('operation-unknown') })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  test.each([
    ['no parent', { cluster: { name: 'c1', initialNodeCount: 1 } }, /"parent" is not set/],
    ['a malformed parent', { parent: 'projects/p/zones/z', cluster: { name: 'c1', initialNodeCount: 1 } }, /field "parent": "projects\/p\/zones\/z"/],
    ['no cluster', { parent }, /"cluster" is not set/],
    ['an invalid cluster name', { parent, cluster: { name: 'My_Cluster', initialNodeCount: 1 } }, /field "cluster.name": "My_Cluster"/],
    ['a cluster name over 40 characters', { parent, cluster: { name: 'c'.repeat(41), initialNodeCount: 1 } }, /field "cluster.name"/],
    ['no nodes', { parent, cluster: { name: 'c1' } }, /initial_node_count must be greater than zero/],
    ['a nameless node pool', { parent, cluster: { name: 'c1', nodePools: [{ initialNodeCount: 1 }] } }, /"cluster.node_pools\[0\].name" is not set/],
    ['an invalid label', { parent, cluster: { name: 'c1', initialNodeCount: 1, resourceLabels: { Owner: 'x' } } }, /field "cluster.resource_labels": key "Owner"/],
  ])('INVALID_ARGUMENT for %s, naming the field', async (_case, request, message) => {
    await expect(client.createCluster(request)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(message) });
    expect(simulator.calls()).toMatchObject([{ method: 'CreateCluster', code: status.INVALID_ARGUMENT }]);
    const [{ clusters }] = await client.listClusters({ parent: 'projects/test-project/locations/-' });
    expect(clusters).toEqual([]);
  });

  test('a seeded cluster is someone else\'s: RUNNING, with its own labels, and listed', async () => {
    simulator.seedCluster(clusterName('theirs'), { resourceLabels: { team: 'data' } });
    await createCluster('ours');
    const [{ clusters }] = await client.listClusters({ parent: 'projects/test-project/locations/-' });
    expect(clusters?.map((cluster) => [cluster.name, cluster.status, cluster.resourceLabels])).toEqual([
      ['theirs', 'RUNNING', { team: 'data' }],
      ['ours', 'PROVISIONING', ourLabels],
    ]);
    const [{ clusters: elsewhere }] = await client.listClusters({ parent: 'projects/test-project/locations/us-central1' });
    expect(elsewhere).toEqual([]);
  });

  test('SetNodePoolSize and CreateNodePool are operations followed like a create: the pool changes at their end, one at a time', async () => {
    await waitForOperation((await createCluster('c1')).name!);
    const poolName = `${clusterName('c1')}/nodePools/default-pool`;
    const [resize] = await client.setNodePoolSize({ name: poolName, nodeCount: 3 });
    expect(resize).toMatchObject({ operationType: 'SET_NODE_POOL_SIZE', targetLink: `https://container.googleapis.com/v1/${poolName}` });
    const [resizing] = await client.getNodePool({ name: poolName });
    expect(resizing).toMatchObject({ status: 'RECONCILING', initialNodeCount: 1 });
    // GKE refuses a second operation on a busy cluster, in words the orchestrator retries on.
    await expect(client.createNodePool({ parent: clusterName('c1'), nodePool: { name: 'gpu', initialNodeCount: 1 } })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION, details: expect.stringMatching(/^Operation \S+ is currently resizing a node pool of cluster c1\. Please wait and try again once it is done\.$/),
    });
    expect((await waitForOperation(resize.name!)).done.error).toBeFalsy();
    expect((await client.getNodePool({ name: poolName }))[0]).toMatchObject({ status: 'RUNNING', initialNodeCount: 3 });

    const [add] = await client.createNodePool({ parent: clusterName('c1'), nodePool: { name: 'gpu', initialNodeCount: 2, config: { machineType: 'n1-standard-8' } } });
    expect(add).toMatchObject({ operationType: 'CREATE_NODE_POOL', targetLink: `https://container.googleapis.com/v1/${clusterName('c1')}/nodePools/gpu` });
    await waitForOperation(add.name!);
    const [cluster] = await client.getCluster({ name: clusterName('c1') });
    expect(cluster.status).toBe('RUNNING');
    expect(cluster.nodePools?.map((pool) => [pool.name, pool.status, Number(pool.initialNodeCount)])).toEqual([['default-pool', 'RUNNING', 3], ['gpu', 'RUNNING', 2]]);
  });

  test('node pool refusals: a negative size, an unknown pool, a pool that exists', async () => {
    await waitForOperation((await createCluster('c1')).name!);
    await expect(client.setNodePoolSize({ name: `${clusterName('c1')}/nodePools/default-pool`, nodeCount: -1 })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(client.setNodePoolSize({ name: `${clusterName('c1')}/nodePools/none`, nodeCount: 1 })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(client.createNodePool({ parent: clusterName('c1'), nodePool: { name: 'default-pool', initialNodeCount: 1 } })).rejects.toMatchObject({ code: status.ALREADY_EXISTS });
    const [{ operations }] = await client.listOperations({ parent });
    expect(operations?.map((operation) => operation.operationType)).toEqual(['CREATE_CLUSTER']);
  });

  test('methods the simulator does not implement answer UNIMPLEMENTED', async () => {
    await expect(client.setLabels({ name: clusterName('c1'), resourceLabels: {} })).rejects.toMatchObject({
      code: status.UNIMPLEMENTED, details: 'Method google.container.v1.ClusterManager/SetLabels is not implemented by the GKE simulator.',
    });
  });

  test('the call log holds every call: method, resource, status and time', async () => {
    const before = Date.now();
    const operation = await createCluster('c1');
    await expect(client.getCluster({ name: clusterName('missing') })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await client.getOperation({ name: operationName(operation.name!) });

    const calls = simulator.calls();
    expect(calls).toEqual([
      { method: 'CreateCluster', resource: parent, code: status.OK, at: expect.any(Date) },
      { method: 'GetCluster', resource: clusterName('missing'), code: status.NOT_FOUND, message: `Not found: ${clusterName('missing')}.`, at: expect.any(Date) },
      { method: 'GetOperation', resource: operationName(operation.name!), code: status.OK, at: expect.any(Date) },
    ]);
    expect(callsOf('CreateCluster')).toHaveLength(1);
    for (const call of calls) expect(call.at.getTime()).toBeGreaterThanOrEqual(before);
  });
});
