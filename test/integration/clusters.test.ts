import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startGkeSimulator, type GkeSimulator } from '../../src/local/gke-simulator/index.js';
import { repoRoot } from '../../src/local/paths.js';
import { adminKubeConfig, eventually, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { readStackInfo, stackEnv } from './stack/stack-info.js';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
const run = promisify(execFile);
const quota = "Insufficient regional quota to satisfy request: resource \"CPUS\": request requires '48.0' and is short '16.0'";

/**
 * GKE clusters through the real @google-cloud/container client against the local GKE API, whose
 * clusters point at the local control plane. The OAuth token the orchestrator presents to the
 * cluster comes from an access-token file: here a service account token the local API server
 * accepts, as a GKE API server accepts a Google token.
 */
describe('clusters through the REST API (real worker, local GKE API, real control plane)', () => {
  let orchestrator: Orchestrator;
  let gke: GkeSimulator;
  const dir = mkdtempSync(join(tmpdir(), 'clusters-'));

  beforeAll(async () => {
    const account = uniqueName('gke-admin');
    await core.createNamespacedServiceAccount({ namespace: 'kube-system', body: { metadata: { name: account } } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: account }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: account, namespace: 'kube-system' }],
      },
    });
    const token = await core.createNamespacedServiceAccountToken({ name: account, namespace: 'kube-system', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    writeFileSync(join(dir, 'token'), token.status?.token ?? '', { mode: 0o600 });
    const server = new URL(readStackInfo().apiserverUrl);
    const caData = admin.getCurrentCluster()?.caData ?? '';
    gke = await startGkeSimulator({ kubernetes: { endpoint: server.host, caCertificatePem: Buffer.from(caData, 'base64').toString('utf8') }, operationSeconds: 4 });
    writeFileSync(join(dir, 'presets.json'), JSON.stringify({
      gkeConnections: { sim: { project: 'test-project', location: 'europe-west1', credentials: { type: 'access-token-file', path: join(dir, 'token') }, apiEndpoint: gke.address } },
      nodePools: { small: { machineType: 'e2-standard-4', nodeCount: 1 } },
      staticClusters: {},
    }));
    orchestrator = await startOrchestrator({ CLUSTER_PRESETS_FILE: join(dir, 'presets.json') });
  });
  afterAll(async () => {
    await orchestrator?.stop();
    await gke?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const clusterStatus = async (name: string): Promise<any> => (await orchestrator.call('GET', `/v1/clusters/${name}`)).json();
  const until = (name: string, phases: string[], timeoutMs = 60_000) => eventually(() => clusterStatus(name), (status) => phases.includes(status.phase), timeoutMs);
  const create = (name: string) => orchestrator.call('POST', '/v1/clusters', { name, provider: 'gke', gke: { connection: 'sim', nodePools: ['small'] } });
  const callsFor = (name: string, method: string) => gke.calls().filter((call) => call.method === method && call.resource.endsWith(`/clusters/${name}`));
  // A create names its parent, not the cluster: count the creates a step made.
  const creates = () => gke.calls().filter((call) => call.method === 'CreateCluster').length;

  test('create → PROVISIONING with progress → RUNNING → a kernel runs on it → delete → DELETED, nothing left', async () => {
    const name = uniqueName('gke').slice(0, 30);
    const createsBefore = creates();
    expect((await create(name)).statusCode).toBe(202);
    expect((await create(name)).statusCode).toBe(202);
    const provisioning = await eventually(() => clusterStatus(name), (status) => status.progress !== undefined || status.phase !== 'PROVISIONING');
    expect(provisioning).toMatchObject({ phase: 'PROVISIONING', provider: 'gke', progress: { status: expect.any(String) } });
    const running = await until(name, ['RUNNING', 'FAILED']);
    expect(running).toMatchObject({ phase: 'RUNNING', endpoint: readStackInfo().apiserverUrl });
    expect(creates() - createsBefore).toBe(1);

    const kernelId = uniqueName('k');
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId, user: 'ada', cluster: name })).statusCode).toBe(202);
    const kernel = await eventually(async () => (await orchestrator.call('GET', `/v1/kernels/${kernelId}`)).json(), (status: any) => status.phase !== 'STARTING');
    expect(kernel).toMatchObject({ phase: 'RUNNING' });
    await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`);
    await eventually(async () => (await orchestrator.call('GET', `/v1/kernels/${kernelId}`)).json(), (status: any) => status.cleanedUp === true);

    expect((await orchestrator.call('DELETE', `/v1/clusters/${name}`)).statusCode).toBe(202);
    const deleted = await until(name, ['DELETED', 'FAILED']);
    expect(deleted).toMatchObject({ phase: 'DELETED', error: 'destroyed by integration-test' });
    expect(deleted.endpoint).toBeUndefined();
    expect(callsFor(name, 'DeleteCluster').length).toBeGreaterThanOrEqual(1);
    const refused = await orchestrator.call('POST', '/v1/kernels', { kernelId: uniqueName('k'), user: 'ada', cluster: name });
    expect(refused.json().error).toMatchObject({ field: 'cluster', message: `cluster '${name}' is DELETED, not RUNNING` });
  });

  test('an operation DONE with an error → FAILED, and the partial cluster is deleted', async () => {
    const name = uniqueName('broken').slice(0, 30);
    gke.failNextOperation('Google Compute Engine: Not all instances running in IGM after 40m. Expect 3. Current errors: [ZONE_RESOURCE_POOL_EXHAUSTED]');
    await create(name);
    const failed = await until(name, ['FAILED', 'RUNNING']);
    expect(failed.phase).toBe('FAILED');
    expect(failed.error).toContain('ZONE_RESOURCE_POOL_EXHAUSTED');
    expect(callsFor(name, 'DeleteCluster').some((call) => call.code === status.OK)).toBe(true);
  });

  test('destroyed while PROVISIONING → the cluster is deleted, nothing remains in GKE', async () => {
    const name = uniqueName('short').slice(0, 30);
    await create(name);
    await eventually(() => clusterStatus(name), (status) => status.progress !== undefined);
    expect((await orchestrator.call('DELETE', `/v1/clusters/${name}`)).statusCode).toBe(202);
    expect(await until(name, ['DELETED', 'FAILED'])).toMatchObject({ phase: 'DELETED' });
    expect(callsFor(name, 'DeleteCluster').some((call) => call.code === status.OK)).toBe(true);
  });

  test('PERMISSION_DENIED for quota is a failure with GKE\'s message, not retried', async () => {
    const name = uniqueName('quota').slice(0, 30);
    gke.failNextCreateWithPermissionDenied(quota);
    const createsBefore = creates();
    await create(name);
    const failed = await until(name, ['FAILED', 'RUNNING']);
    expect(failed).toMatchObject({ phase: 'FAILED' });
    expect(failed.error).toContain(quota);
    expect(creates() - createsBefore).toBe(1);
  });

  test('the CLI creates with a live progress line until RUNNING, lists, and deletes', async () => {
    const name = uniqueName('cli').slice(0, 30);
    const env = { ...process.env, ...stackEnv(), TEMPORAL_TASK_QUEUE: orchestrator.taskQueue, CLUSTER_PRESETS_FILE: join(dir, 'presets.json') };
    const starter = (...args: string[]) => run(process.execPath, [join(repoRoot, 'dist', 'starter.js'), 'cluster', ...args], { env });
    const created = await starter('create', name, '--connection', 'sim', '--node-pool', 'small');
    const lines = created.stdout.split('\n');
    expect(lines[0]).toBe(`cluster ${name}  workflow cluster-${name}`);
    expect(lines.some((line) => new RegExp(`^${name} {2}PROVISIONING {2}\\[[#-]{30}\\] +\\d+% {2}\\d+s$`).test(line))).toBe(true);
    expect(lines).toContain(`RUNNING  ${readStackInfo().apiserverUrl}`);
    expect((await starter('list')).stdout).toContain(`${name}\tgke\tRUNNING\t${readStackInfo().apiserverUrl}`);
    expect((await starter('delete', name, '--reason', 'done')).stdout).toBe(`destroy requested for cluster ${name}\n`);
    expect(await until(name, ['DELETED', 'FAILED'])).toMatchObject({ phase: 'DELETED', error: expect.stringMatching(/^destroyed by starter \(.*\): done$/) });
    await expect(starter('create', name, '--connection', 'prod', '--node-pool', 'small')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("no GKE connection preset 'prod'") });
  });

  test.each([
    [{ name: 'local', provider: 'static' }, 'name'],
    [{ name: 'c1', provider: 'gke' }, 'gke'],
    [{ name: 'c1', provider: 'gke', gke: { connection: 'prod', nodePools: ['small'] } }, 'gke.connection'],
    [{ name: 'c1', provider: 'gke', gke: { connection: 'sim', nodePools: ['huge'] } }, 'gke.nodePools[0]'],
    [{ name: 'Not_A_Name', provider: 'gke', gke: { connection: 'sim', nodePools: ['small'] } }, 'name'],
    [{ name: 'nowhere', provider: 'static' }, 'name'],
  ])('%j is refused naming %s', async (body, field) => {
    const response = await orchestrator.call('POST', '/v1/clusters', body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.field).toBe(field);
  });

  test('a kernel or a Spark job on an unknown or deleted cluster is refused, naming the field', async () => {
    for (const [path, body] of [
      ['/v1/kernels', { user: 'ada', cluster: 'nowhere' }],
      ['/v1/spark-jobs', { user: 'ada', cluster: 'nowhere', app: { image: 'apache/spark:4.0.1', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar' } }],
    ] as const) {
      const response = await orchestrator.call('POST', path, body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toEqual({ code: 'VALIDATION', message: "no cluster 'nowhere'", field: 'cluster' });
    }
  });
});
