import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { kernelContext } from '../../src/client/kernel-catalog.js';
import { loadClusterPresets } from '../../src/client/cluster-presets-file.js';
import { toClusterInput } from '../../src/client/cluster-request.js';
import { toKernelSessionInput } from '../../src/client/kernel-request.js';
import { toSparkJobInput, toSparkLeaseInput } from '../../src/client/spark-job-request.js';
import { loadRuntimeConfig } from '../../src/config.js';
import { clusterWorkflowId, sparkJobWorkflowId } from '../../src/domain/workflow-ids.js';
import { startWorker } from '../../src/worker.js';
import { startGkeFixture, type GkeFixture } from './stack/gke-fixture.js';
import { eventually, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { writeKernelSpecs } from './stack/simulated-kernels.js';
import { sparkPiApp } from './stack/spark-pi.js';
import { readStackInfo, stackEnv } from './stack/stack-info.js';

/**
 * Every status read is the API's answer about a job, kernel or cluster: it must not depend on a
 * worker being up for what has ended, nor fail as an internal error while a workflow ends.
 */
describe('status reads (real worker, real API, real control plane)', () => {
  let orchestrator: Orchestrator;
  let fixture: GkeFixture;
  let env: Record<string, string>;
  beforeAll(async () => {
    fixture = await startGkeFixture({ operationSeconds: 1, staticClusters: { 'reads-attached': { kubeconfig: readStackInfo().workerKubeconfig } } });
    env = { CLUSTER_PRESETS_FILE: fixture.presetsFile, KERNEL_SPECS_FILE: writeKernelSpecs(mkdtempSync(join(tmpdir(), 'status-reads-')), 'kernels') };
    orchestrator = await startOrchestrator(env);
  });
  afterAll(async () => {
    await orchestrator?.stop();
    await fixture?.stop();
  });

  const statusOf = async (path: string): Promise<any> => (await orchestrator.call('GET', path)).json();
  // What the workflows say in the same task that ends them: a job or kernel FAILED is still cleaning up.
  const ended = (path: string, timeoutMs = 90_000) => eventually(() => statusOf(path), (status) => status.cleanedUp === true || status.phase === 'DELETED', timeoutMs);

  test("reads in a tight loop across a kernel's ending all answer 200", async () => {
    const kernelId = uniqueName('reads');
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId, user: uniqueName('reader') })).statusCode).toBe(202);
    await eventually(() => statusOf(`/v1/kernels/${kernelId}`), (status) => status.phase === 'RUNNING', 60_000);
    expect((await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`)).statusCode).toBe(202);
    const answers = new Map<number, number>();
    let readsBeforeEnd = 0;
    let readsAfterEnd = 0;
    let last: any;
    while (readsAfterEnd < 200) {
      const answer = await orchestrator.call('GET', `/v1/kernels/${kernelId}`);
      answers.set(answer.statusCode, (answers.get(answer.statusCode) ?? 0) + 1);
      last = answer.json();
      if (last.cleanedUp) readsAfterEnd++;
      else readsBeforeEnd++;
    }
    expect([...answers.keys()]).toEqual([200]);
    expect(readsBeforeEnd).toBeGreaterThan(0);
    expect(last).toMatchObject({ kernelId, phase: 'STOPPED', cleanedUp: true });
  }, 180_000);

  test('what has ended is read with every worker stopped; what runs is a 503 that says why', async () => {
    const user = uniqueName('reads');
    const succeeded = uniqueName('job');
    const failed = uniqueName('job');
    const stopped = uniqueName('kernel');
    const running = uniqueName('kernel');
    const cluster = 'reads-attached';
    expect((await orchestrator.call('POST', '/v1/spark-jobs', { jobId: succeeded, user, app: sparkPiApp(1) })).statusCode).toBe(202);
    expect((await orchestrator.call('POST', '/v1/spark-jobs', {
      jobId: failed, user, app: sparkPiApp(1, { 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-exit-code': '3' }),
    })).statusCode).toBe(202);
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId: stopped, user })).statusCode).toBe(202);
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId: running, user })).statusCode).toBe(202);
    expect((await orchestrator.call('POST', '/v1/clusters', { name: cluster, provider: 'static' })).statusCode).toBe(202);
    await eventually(() => statusOf(`/v1/kernels/${stopped}`), (status) => status.phase === 'RUNNING', 60_000);
    await eventually(() => statusOf(`/v1/clusters/${cluster}`), (status) => status.phase === 'RUNNING', 60_000);
    expect((await orchestrator.call('DELETE', `/v1/kernels/${stopped}`)).statusCode).toBe(202);
    expect((await orchestrator.call('DELETE', `/v1/clusters/${cluster}`)).statusCode).toBe(202);
    const before = {
      succeeded: await ended(`/v1/spark-jobs/${succeeded}`),
      failed: await ended(`/v1/spark-jobs/${failed}`),
      stopped: await ended(`/v1/kernels/${stopped}`),
      cluster: await ended(`/v1/clusters/${cluster}`),
    };
    await eventually(() => statusOf(`/v1/kernels/${running}`), (status) => status.phase === 'RUNNING', 60_000);

    await orchestrator.worker.stop();
    try {
      expect(await statusOf(`/v1/spark-jobs/${succeeded}`)).toEqual(before.succeeded);
      expect(before.succeeded).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0, cleanedUp: true });
      expect(await statusOf(`/v1/spark-jobs/${failed}`)).toEqual(before.failed);
      expect(before.failed).toMatchObject({ phase: 'FAILED', exitCode: 3, cleanedUp: true });
      expect(await statusOf(`/v1/kernels/${stopped}`)).toEqual(before.stopped);
      expect(before.stopped).toMatchObject({ phase: 'STOPPED', cleanedUp: true });
      expect(await statusOf(`/v1/clusters/${cluster}`)).toEqual(before.cluster);
      expect(before.cluster).toMatchObject({ phase: 'DELETED' });
      const listed = (await statusOf(`/v1/spark-jobs?user=${user}`)).jobs as Array<{ jobId: string; phase?: string }>;
      expect(Object.fromEntries(listed.map((job) => [job.jobId, job.phase]))).toEqual({ [succeeded]: 'SUCCEEDED', [failed]: 'FAILED' });

      const unanswered = await orchestrator.call('GET', `/v1/kernels/${running}`);
      expect(unanswered.statusCode).toBe(503);
      expect(unanswered.json().error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`kernel '${running}' cannot be read now`) });
    } finally {
      // A worker again, so that the kernel left running ends and leaves nothing behind.
      const worker = await startWorker(loadRuntimeConfig({ ...stackEnv(), ...env, TEMPORAL_TASK_QUEUE: orchestrator.taskQueue }), pino({ level: 'silent' }));
      try {
        expect((await orchestrator.call('DELETE', `/v1/kernels/${running}`)).statusCode).toBe(202);
        expect(await ended(`/v1/kernels/${running}`)).toMatchObject({ phase: 'STOPPED', cleanedUp: true });
      } finally {
        await worker.stop();
      }
    }
  }, 300_000);

  test('a job, lease, kernel or cluster whose workflow was terminated before it ever ran reads as it was at its start, with no worker', async () => {
    const config = loadRuntimeConfig({ ...stackEnv(), ...env, TEMPORAL_TASK_QUEUE: orchestrator.taskQueue });
    const user = uniqueName('unrun');
    const [jobId, leaseId, kernelId] = [uniqueName('job'), uniqueName('lease'), uniqueName('kernel')];
    const clusterName = 'reads-attached';
    const placement = { orchestratorNamespace: config.orchestratorNamespace };
    const job = toSparkJobInput({ jobId, user, app: sparkPiApp(1) }, placement);
    const kernel = toKernelSessionInput({ kernelId, user }, kernelContext(config));
    // A task queue nobody polls: not one task of theirs ever completes, as when a terminate follows the start at once.
    const nobody = uniqueName('nobody');
    const starts = [
      { workflowType: 'sparkJob', workflowId: sparkJobWorkflowId(jobId), args: [job] },
      { workflowType: 'sparkLease', workflowId: sparkJobWorkflowId(leaseId), args: [toSparkLeaseInput({ jobId: leaseId, user, deployMode: 'client' }, placement)] },
      { workflowType: 'kernelSession', workflowId: kernel.plan.workflowId, args: [kernel] },
      { workflowType: 'cluster', workflowId: clusterWorkflowId(clusterName), args: [toClusterInput({ name: clusterName, provider: 'static' }, loadClusterPresets(fixture.presetsFile))] },
    ];
    const startedAt = Date.now();
    for (const { workflowType, workflowId, args } of starts) {
      const handle = await orchestrator.temporal.client.workflow.start(workflowType, { workflowId, taskQueue: nobody, args });
      await handle.terminate('terminated as it started');
    }
    const read = async (path: string) => {
      const answer = await orchestrator.call('GET', path);
      expect(answer.statusCode).toBe(200);
      return answer.json();
    };
    expect(await read(`/v1/spark-jobs/${jobId}`)).toEqual({
      jobId, user, phase: 'PENDING', namespace: job.namespace, serviceAccount: expect.stringMatching(/^spark-/), driverPod: expect.stringMatching(/-driver$/),
      cleanedUp: false, deployMode: 'cluster',
    });
    expect(await read(`/v1/spark-jobs/${leaseId}`)).toMatchObject({ jobId: leaseId, user, phase: 'PENDING', driverPod: '', cleanedUp: false, deployMode: 'client' });
    const kernelStatus = await read(`/v1/kernels/${kernelId}`);
    expect(kernelStatus).toMatchObject({ kernelId, user, cluster: 'local', phase: 'STARTING', pod: kernel.plan.podName, restarts: 0, cleanedUp: false });
    expect(Date.parse(kernelStatus.lastActivity)).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(await read(`/v1/clusters/${clusterName}`)).toMatchObject({ name: clusterName, provider: 'static', phase: 'PROVISIONING' });
  }, 60_000);
});
