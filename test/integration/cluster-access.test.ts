import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { startGkeFixture, type GkeFixture } from './stack/gke-fixture.js';
import { eventually, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { readStackInfo } from './stack/stack-info.js';

/** What a kubeconfig must never hold: the credentials of the files it was made from. */
const secretFields = ['token', 'client-key-data', 'client-certificate-data', 'password', 'auth-provider'];

/**
 * Every cluster a job may use, as the API shows it (local, static presets, GKE clusters with their
 * node pools), kubeconfigs without secrets, and node pools resized and added as durable
 * operations on the local GKE API, through the real client library.
 */
describe('cluster access and node pools (real worker, real API, local GKE API)', () => {
  let orchestrator: Orchestrator;
  let fixture: GkeFixture;
  const gkeName = uniqueName('pools').slice(0, 30);

  beforeAll(async () => {
    fixture = await startGkeFixture({ operationSeconds: 2, staticClusters: { 'preset-a': { kubeconfig: readStackInfo().workerKubeconfig } } });
    orchestrator = await startOrchestrator({ CLUSTER_PRESETS_FILE: fixture.presetsFile });
    expect((await orchestrator.call('POST', '/v1/clusters', { name: gkeName, provider: 'gke', gke: { connection: 'simulator', nodePools: ['small'] } })).statusCode).toBe(202);
    await eventually(() => cluster(gkeName), (status) => status.phase !== 'PROVISIONING', 60_000);
  }, 120_000);
  afterAll(async () => {
    await orchestrator?.call('DELETE', `/v1/clusters/${gkeName}`);
    await orchestrator?.call('DELETE', '/v1/clusters/preset-a');
    await eventually(() => cluster(gkeName), (status) => status.phase === 'DELETED', 60_000).catch(() => undefined);
    await orchestrator?.stop();
    await fixture?.stop();
  }, 120_000);

  const cluster = async (name: string): Promise<any> => (await orchestrator.call('GET', `/v1/clusters/${name}`)).json();
  const operationEnd = (name: string, id: string) => eventually(() => cluster(name), (status) => ['DONE', 'FAILED'].includes((status.nodePoolOperations as any[] | undefined)?.find((operation) => operation.id === id)?.state), 60_000);
  const gkeCalls = (method: string) => fixture.gke.calls().filter((call) => call.method === method && call.resource.includes(`/clusters/${gkeName}`));

  test('the list holds local, the unattached preset and the GKE cluster; local and the preset answer by name', async () => {
    const listed = (await orchestrator.call('GET', '/v1/clusters')).json().clusters as any[];
    const byName = Object.fromEntries(listed.map((entry) => [entry.name, entry]));
    expect(byName.local).toEqual({ name: 'local', provider: 'static', phase: 'RUNNING', endpoint: readStackInfo().apiserverUrl });
    expect(byName['preset-a']).toEqual({ name: 'preset-a', provider: 'static', phase: 'RUNNING', endpoint: readStackInfo().apiserverUrl, attached: false });
    expect(byName[gkeName]).toMatchObject({ provider: 'gke', phase: 'RUNNING', nodePools: [{ name: 'small', machineType: 'e2-standard-4', nodeCount: 1, maxNodes: 1000, state: 'RUNNING' }] });
    expect(listed.findIndex((entry) => entry.name === gkeName)).toBeLessThan(listed.findIndex((entry) => entry.name === 'local'));
    expect(await cluster('local')).toEqual(byName.local);
    expect(await cluster('preset-a')).toEqual(byName['preset-a']);
    expect((await orchestrator.call('GET', '/v1/clusters/no-such')).statusCode).toBe(404);
  });

  test("kubeconfigs hold the endpoint and CA and no secret: GKE's user runs gke-gcloud-auth-plugin", async () => {
    const stack = readStackInfo();
    const gke = (await orchestrator.call('GET', `/v1/clusters/${gkeName}/kubeconfig`)).json();
    const context = `gke_local-simulator_europe-west1_${gkeName}`;
    expect(gke).toMatchObject({
      apiVersion: 'v1', kind: 'Config', 'current-context': context,
      clusters: [{ name: context, cluster: { server: stack.apiserverUrl, 'certificate-authority-data': expect.any(String) } }],
      users: [{ name: context, user: { exec: { command: 'gke-gcloud-auth-plugin', apiVersion: 'client.authentication.k8s.io/v1beta1', provideClusterInfo: true } } }],
    });
    expect(Buffer.from(gke.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toContain('BEGIN CERTIFICATE');
    for (const name of ['local', 'preset-a']) {
      const answer = await orchestrator.call('GET', `/v1/clusters/${name}/kubeconfig`);
      expect(answer.statusCode).toBe(200);
      const kubeconfig = answer.json();
      expect(kubeconfig).toMatchObject({ 'current-context': name, clusters: [{ cluster: { server: stack.apiserverUrl } }] });
      for (const field of secretFields) expect(Object.keys(kubeconfig.users[0].user)).not.toContain(field);
    }
    // The worker kubeconfig's token, whichever form it takes, is nowhere in the answers.
    const workerKubeconfig = readFileSync(stack.workerKubeconfig, 'utf8');
    const secrets = [...workerKubeconfig.matchAll(/(?:token|client-key-data): *(\S+)/g)].map((match) => match[1]!);
    expect(secrets.length).toBeGreaterThan(0);
    const answers = JSON.stringify([gke, (await orchestrator.call('GET', '/v1/clusters/local/kubeconfig')).json()]);
    for (const secret of secrets) expect(answers).not.toContain(secret);
  });

  test('a resize 1 → 3 and an added pool are GKE operations followed to their end; the status and GKE agree', async () => {
    const resize = await orchestrator.call('POST', `/v1/clusters/${gkeName}/node-pools/small/size`, { nodeCount: 3 });
    expect(resize.statusCode).toBe(202);
    const { operationId: resizeId } = resize.json();
    const add = await orchestrator.call('POST', `/v1/clusters/${gkeName}/node-pools`, { name: 'extra', preset: 'small' });
    expect(add.statusCode).toBe(202);
    const { operationId: addId } = add.json();
    await operationEnd(gkeName, resizeId);
    const after = await operationEnd(gkeName, addId);
    expect((after.nodePoolOperations as any[]).filter((operation) => [resizeId, addId].includes(operation.id))).toEqual([
      expect.objectContaining({ id: resizeId, kind: 'resize', pool: 'small', nodeCount: 3, state: 'DONE', requestedBy: 'integration-test' }),
      expect.objectContaining({ id: addId, kind: 'add', pool: 'extra', preset: 'small', state: 'DONE' }),
    ]);
    expect(after.nodePools).toEqual([
      { name: 'small', machineType: 'e2-standard-4', nodeCount: 3, maxNodes: 1000, state: 'RUNNING' },
      { name: 'extra', machineType: 'e2-standard-4', nodeCount: 1, maxNodes: 1000, state: 'RUNNING' },
    ]);
    expect(gkeCalls('SetNodePoolSize').map((call) => call.resource)).toEqual([expect.stringMatching(/\/nodePools\/small$/)]);
    expect(gkeCalls('CreateNodePool')).toHaveLength(1);
  });

  test('bad input is a 400 or 409 naming what is wrong, and nothing reaches GKE', async () => {
    const resizesBefore = gkeCalls('SetNodePoolSize').length;
    const addsBefore = gkeCalls('CreateNodePool').length;
    const errorOf = async (path: string, body: unknown) => {
      const answer = await orchestrator.call('POST', path, body);
      return { status: answer.statusCode, ...answer.json().error };
    };
    expect(await errorOf(`/v1/clusters/${gkeName}/node-pools/small/size`, { nodeCount: -1 })).toMatchObject({ status: 400, code: 'VALIDATION', field: 'nodeCount' });
    expect(await errorOf(`/v1/clusters/${gkeName}/node-pools/small/size`, { nodeCount: 1001 })).toMatchObject({ status: 400, code: 'VALIDATION', field: 'nodeCount' });
    expect(await errorOf(`/v1/clusters/${gkeName}/node-pools/none/size`, { nodeCount: 2 })).toEqual({
      status: 400, code: 'VALIDATION', field: 'pool', message: `cluster '${gkeName}' has no node pool 'none'; its pools: small, extra`,
    });
    expect(await errorOf(`/v1/clusters/${gkeName}/node-pools`, { name: 'more', preset: 'huge' })).toMatchObject({ status: 400, code: 'VALIDATION', field: 'preset' });
    expect(await errorOf(`/v1/clusters/${gkeName}/node-pools`, { name: 'small', preset: 'small' })).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(await errorOf('/v1/clusters/local/node-pools', { name: 'more', preset: 'small' })).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(await errorOf('/v1/clusters/no-such/node-pools/small/size', { nodeCount: 2 })).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(((await cluster(gkeName)).nodePools as any[]).map((pool) => [pool.name, pool.nodeCount])).toEqual([['small', 3], ['extra', 1]]);
    expect([gkeCalls('SetNodePoolSize').length, gkeCalls('CreateNodePool').length]).toEqual([resizesBefore, addsBefore]);
  });

  test('a kernel on the unattached preset attaches it first; detached, it is DELETED and listed so', async () => {
    const kernelId = uniqueName('k');
    // A user of this file's own: a user's quota workflow runs on the task queue of the file that first used it.
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId, user: uniqueName('attacher'), cluster: 'preset-a' })).statusCode).toBe(202);
    expect(await cluster('preset-a')).toMatchObject({ provider: 'static', phase: 'RUNNING', attached: true, createdAt: expect.any(String) });
    const kernel = await eventually(async () => (await orchestrator.call('GET', `/v1/kernels/${kernelId}`)).json(), (status) => status.phase !== 'STARTING', 90_000);
    expect(kernel).toMatchObject({ phase: 'RUNNING', cluster: 'preset-a' });
    await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`);
    await eventually(async () => (await orchestrator.call('GET', `/v1/kernels/${kernelId}`)).json(), (status) => status.cleanedUp === true, 90_000);
    expect((await orchestrator.call('DELETE', '/v1/clusters/preset-a')).statusCode).toBe(202);
    expect(await eventually(() => cluster('preset-a'), (status) => status.phase === 'DELETED', 60_000)).toMatchObject({ attached: false });
  }, 240_000);
});
