import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterWorkflowId } from '../../src/domain/workflow-ids.js';
import { ownerResourceLabels } from '../../src/domain/cluster-presets.js';
import type { GkeSimulator } from '../../src/local/gke-simulator/index.js';
import { clusterUseSignal } from '../../src/workflows/cluster-use.js';
import { repoRoot } from '../../src/local/paths.js';
import { eventually, uniqueName } from './stack/kube.js';
import { startGkeFixture, type GkeFixture } from './stack/gke-fixture.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { readStackInfo, stackEnv } from './stack/stack-info.js';
import { sparkPiJob } from './stack/spark-pi.js';

const run = promisify(execFile);
const quota = "Insufficient regional quota to satisfy request: resource \"CPUS\": request requires '48.0' and is short '16.0'";

/** GKE clusters through the real @google-cloud/container client against the local GKE API (stack/gke-fixture.ts). */
describe('clusters through the REST API (real worker, local GKE API, real control plane)', () => {
  let orchestrator: Orchestrator;
  let fixture: GkeFixture;
  let gke: GkeSimulator;

  beforeAll(async () => {
    // Attached with the orchestrator's own least privilege: they are set up by checking, not installing, the ClusterRoles.
    const kubeconfig = readStackInfo().workerKubeconfig;
    fixture = await startGkeFixture({ operationSeconds: 4, staticClusters: { 'attached-a': { kubeconfig }, 'attached-b': { kubeconfig } } });
    gke = fixture.gke;
    orchestrator = await startOrchestrator({ CLUSTER_PRESETS_FILE: fixture.presetsFile });
  });
  afterAll(async () => {
    await orchestrator?.stop();
    await fixture?.stop();
  });

  const clusterStatus = async (name: string): Promise<any> => (await orchestrator.call('GET', `/v1/clusters/${name}`)).json();
  const until = (name: string, phases: string[], timeoutMs = 60_000) => eventually(() => clusterStatus(name), (status) => phases.includes(status.phase), timeoutMs);
  const create = (name: string, extra: Record<string, unknown> = {}) => orchestrator.call('POST', '/v1/clusters', { name, provider: 'gke', gke: { connection: 'simulator', nodePools: ['small'] }, ...extra });
  const kernelStatus = async (kernelId: string): Promise<any> => (await orchestrator.call('GET', `/v1/kernels/${kernelId}`)).json();
  const startKernel = async (cluster: string): Promise<string> => {
    const kernelId = uniqueName('k');
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId, user: 'ada', cluster })).statusCode).toBe(202);
    expect(await eventually(() => kernelStatus(kernelId), (status) => status.phase !== 'STARTING')).toMatchObject({ phase: 'RUNNING' });
    return kernelId;
  };
  const stopKernel = async (kernelId: string): Promise<void> => {
    await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`);
    await eventually(() => kernelStatus(kernelId), (status) => status.cleanedUp === true);
  };
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

    await stopKernel(await startKernel(name));

    expect((await orchestrator.call('DELETE', `/v1/clusters/${name}`)).statusCode).toBe(202);
    const deleted = await until(name, ['DELETED', 'FAILED']);
    expect(deleted).toMatchObject({ phase: 'DELETED', error: 'destroyed by integration-test' });
    expect(deleted.endpoint).toBeUndefined();
    expect(callsFor(name, 'DeleteCluster').length).toBeGreaterThanOrEqual(1);
    const refused = await orchestrator.call('POST', '/v1/kernels', { kernelId: uniqueName('k'), user: 'ada', cluster: name });
    expect(refused.json().error).toMatchObject({ field: 'cluster', message: `cluster '${name}' is DELETED, not RUNNING` });
  });

  test('with an idle TTL: a Spark job and a kernel run on it, it stays while used, and is destroyed once idle for the TTL', async () => {
    const name = uniqueName('idle').slice(0, 30);
    await create(name, { idleTtlSeconds: 8 });
    expect(await until(name, ['RUNNING', 'FAILED'])).toMatchObject({ phase: 'RUNNING', idleTtlSeconds: 8, inUseBy: 0 });

    const jobId = uniqueName('job');
    expect((await orchestrator.call('POST', '/v1/spark-jobs', sparkPiJob('ada', 1, { jobId, cluster: name }))).statusCode).toBe(202);
    const kernelId = await startKernel(name);
    const job = await eventually(async () => (await orchestrator.call('GET', `/v1/spark-jobs/${jobId}`)).json(), (status: any) => status.cleanedUp === true, 90_000);
    expect(job).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0 });

    // Longer than the TTL with the kernel still on it: kept.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(await clusterStatus(name)).toMatchObject({ phase: 'RUNNING', inUseBy: 1 });

    await stopKernel(kernelId);
    // The kernel's "no longer in use" signal is delivered during its cleanup; the cluster's
    // workflow counts it on its next task.
    const released = await eventually(() => clusterStatus(name), (status) => status.inUseBy !== 1, 10_000);
    expect(released).toMatchObject({ phase: 'RUNNING', inUseBy: 0 });
    const deleted = await until(name, ['DELETED', 'FAILED'], 60_000);
    expect(deleted).toMatchObject({ phase: 'DELETED', error: 'destroyed after 8s without a job or kernel using it' });
    const deleteCall = callsFor(name, 'DeleteCluster')[0]!;
    expect(deleteCall.at.getTime() - new Date(released.lastUsedAt).getTime()).toBeGreaterThanOrEqual(8_000);
  }, 240_000);

  test('ALREADY_EXISTS: our own cluster (by its labels) is adopted; someone else\'s is a clear failure and is left alone', async () => {
    const ours = uniqueName('ours').slice(0, 30);
    gke.seedCluster(`projects/local-simulator/locations/europe-west1/clusters/${ours}`, { resourceLabels: ownerResourceLabels(clusterWorkflowId(ours)) });
    const createsBefore = creates();
    await create(ours);
    expect(await until(ours, ['RUNNING', 'FAILED'])).toMatchObject({ phase: 'RUNNING', endpoint: readStackInfo().apiserverUrl });
    expect(gke.calls().filter((call) => call.method === 'CreateCluster').slice(createsBefore).map((call) => call.code)).toEqual([status.ALREADY_EXISTS]);
    await orchestrator.call('DELETE', `/v1/clusters/${ours}`);
    expect(await until(ours, ['DELETED', 'FAILED'])).toMatchObject({ phase: 'DELETED' });

    const theirs = uniqueName('theirs').slice(0, 30);
    gke.seedCluster(`projects/local-simulator/locations/europe-west1/clusters/${theirs}`, { resourceLabels: { team: 'data-eng' } });
    await create(theirs);
    const failed = await until(theirs, ['FAILED', 'RUNNING']);
    expect(failed.phase).toBe('FAILED');
    expect(failed.error).toContain(`a GKE cluster named ${theirs} already exists in projects/local-simulator/locations/europe-west1 and was not created by this orchestrator`);
    expect(callsFor(theirs, 'DeleteCluster')).toEqual([]);
  });

  test('UNAVAILABLE for the next calls: retried, and the cluster still comes up with one cluster created', async () => {
    const name = uniqueName('flaky').slice(0, 30);
    gke.unavailableForNextCalls(3);
    const createsBefore = creates();
    await create(name);
    expect(await until(name, ['RUNNING', 'FAILED'])).toMatchObject({ phase: 'RUNNING' });
    const codes = gke.calls().filter((call) => call.method === 'CreateCluster').slice(createsBefore).map((call) => call.code);
    expect(codes.filter((code) => code === status.UNAVAILABLE).length).toBeGreaterThanOrEqual(1);
    expect(codes.filter((code) => code === status.OK)).toHaveLength(1);
    await orchestrator.call('DELETE', `/v1/clusters/${name}`);
    expect(await until(name, ['DELETED', 'FAILED'])).toMatchObject({ phase: 'DELETED' });
  });

  test('a static cluster is attached, runs a kernel, and is detached without anything deleted', async () => {
    expect((await orchestrator.call('POST', '/v1/clusters', { name: 'attached-a', provider: 'static' })).statusCode).toBe(202);
    expect(await until('attached-a', ['RUNNING', 'FAILED'])).toMatchObject({ phase: 'RUNNING', provider: 'static' });
    await stopKernel(await startKernel('attached-a'));
    expect((await orchestrator.call('DELETE', '/v1/clusters/attached-a')).statusCode).toBe(202);
    expect(await until('attached-a', ['DELETED', 'FAILED'])).toMatchObject({ phase: 'DELETED' });
    expect(callsFor('attached-a', 'DeleteCluster')).toEqual([]);
  });

  test('a long-lived cluster continues as new keeping its users; a user that ended without saying so is forgotten, then the idle TTL applies', async () => {
    const name = 'attached-b';
    const handle = await orchestrator.temporal.client.workflow.start('cluster', {
      workflowId: clusterWorkflowId(name), taskQueue: orchestrator.taskQueue,
      args: [{ name, provider: 'static', idleTtlSeconds: 5, historyEventLimit: 60 }],
    });
    await until(name, ['RUNNING']);
    // A user that never reports its end (as a job terminated by hand), and many that come and go.
    await handle.signal(clusterUseSignal, { workflowId: 'terminated-by-hand', kind: 'spark-job', inUse: true });
    for (let index = 0; index < 40; index++) {
      await handle.signal(clusterUseSignal, { workflowId: `job-${index}`, kind: 'spark-job', inUse: true });
      await handle.signal(clusterUseSignal, { workflowId: `job-${index}`, kind: 'spark-job', inUse: false });
    }
    const continued = await eventually(async () => (await handle.describe()).runId, (runId) => runId !== handle.firstExecutionRunId, 30_000);
    expect(continued).not.toBe(handle.firstExecutionRunId);
    expect(await clusterStatus(name)).toMatchObject({ phase: 'RUNNING', inUseBy: 1 });
    // The stale user is dropped at the next check (at least 10 s), then 5 s idle → destroyed.
    expect(await until(name, ['DELETED', 'FAILED'], 60_000)).toMatchObject({ phase: 'DELETED', error: 'destroyed after 5s without a job or kernel using it' });
  }, 120_000);

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
    const env = { ...process.env, ...stackEnv(), TEMPORAL_TASK_QUEUE: orchestrator.taskQueue, CLUSTER_PRESETS_FILE: fixture.presetsFile };
    const starter = (...args: string[]) => run(process.execPath, [join(repoRoot, 'dist', 'starter.js'), 'cluster', ...args], { env });
    const created = await starter('create', name, '--connection', 'simulator', '--node-pool', 'small');
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
    [{ name: 'c1', provider: 'gke', gke: { connection: 'simulator', nodePools: ['huge'] } }, 'gke.nodePools[0]'],
    [{ name: 'Not_A_Name', provider: 'gke', gke: { connection: 'simulator', nodePools: ['small'] } }, 'name'],
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
