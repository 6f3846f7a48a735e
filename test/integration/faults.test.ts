import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectErrorRate, seededRandom, startFaultProxy, writeKubeconfigThroughProxy, type FaultProxy } from '../fault-proxy/index.js';
import { adminKubeConfig, eventually, statusOf, uniqueName } from './stack/kube.js';
import { leftBy } from './stack/leftovers.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { readStackInfo } from './stack/stack-info.js';
import { sparkPiJob } from './stack/spark-pi.js';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);

/**
 * The worker talks to the API server through a proxy that injects faults: the orchestrator must
 * retry transient ones with backoff, never duplicate, never leak.
 */
describe('with a failing Kubernetes API (fault-injecting proxy in front of the API server)', () => {
  let proxy: FaultProxy;
  let orchestrator: Orchestrator;
  const dir = mkdtempSync(join(tmpdir(), 'faults-'));

  beforeAll(async () => {
    const caData = admin.getCurrentCluster()?.caData ?? '';
    proxy = await startFaultProxy({ upstream: readStackInfo().apiserverUrl, caPem: Buffer.from(caData, 'base64').toString('utf8'), random: seededRandom(30) });
    // The orchestrator's own least-privilege token, through the proxy.
    const worker = new KubeConfig();
    worker.loadFromFile(readStackInfo().workerKubeconfig);
    writeKubeconfigThroughProxy(proxy.url, worker.getCurrentUser()?.token ?? '', join(dir, 'kubeconfig'));
    orchestrator = await startOrchestrator({ KUBECONFIG_LOCAL: join(dir, 'kubeconfig') });
  });
  afterAll(async () => {
    await orchestrator?.stop();
    await proxy?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string): Promise<any> => (await orchestrator.call('GET', path)).json();

  test('30% of requests answered 500, 503 or 429: every job and kernel ends correctly, nothing leaked, nothing twice', async () => {
    const rules = injectErrorRate(proxy, 0.3);
    const user = uniqueName('flaky');
    const jobs = [sparkPiJob(user, 2), sparkPiJob(user, 2), sparkPiJob(user, 2)];
    const kernelIds = [uniqueName('k'), uniqueName('k')];
    try {
      for (const body of jobs) expect((await orchestrator.call('POST', '/v1/spark-jobs', body)).statusCode).toBe(202);
      for (const kernelId of kernelIds) expect((await orchestrator.call('POST', '/v1/kernels', { kernelId, user })).statusCode).toBe(202);
      const kernels = await Promise.all(kernelIds.map((kernelId) => eventually(() => get(`/v1/kernels/${kernelId}`), (status) => status.phase !== 'STARTING', 120_000)));
      for (const kernel of kernels) expect(kernel).toMatchObject({ phase: 'RUNNING', restarts: 0 });
      for (const kernelId of kernelIds) await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`);
      const ended = await Promise.all([
        ...jobs.map((body) => eventually(() => get(`/v1/spark-jobs/${body.jobId}`), (status) => status.cleanedUp === true, 180_000)),
        ...kernelIds.map((kernelId) => eventually(() => get(`/v1/kernels/${kernelId}`), (status) => status.cleanedUp === true, 180_000)),
      ]);
      expect(ended.map((status) => status.phase)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'STOPPED', 'STOPPED']);
      expect(ended.slice(0, 3).map((status) => status.exitCode)).toEqual([0, 0, 0]);
      const faults = proxy.stats();
      expect((faults.statuses[500] ?? 0) + (faults.statuses[503] ?? 0) + (faults.statuses[429] ?? 0)).toBeGreaterThan(10);
    } finally {
      for (const rule of rules) rule.remove();
    }
    for (const workflowId of [...jobs.map((body) => `spark-job-${body.jobId}`), ...kernelIds.map((kernelId) => `kernel-${kernelId}`)]) {
      expect(await leftBy(workflowId)).toEqual([]);
    }
  }, 300_000);

  test('a pod deletion whose calls fail now and then gets through in its first attempt, without waiting out a retry backoff', async () => {
    const kernelId = uniqueName('k');
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId, user: uniqueName('deletion') })).statusCode).toBe(202);
    const kernel = await eventually(() => get(`/v1/kernels/${kernelId}`), (status) => status.phase !== 'STARTING', 60_000);
    expect(kernel.phase).toBe('RUNNING');
    const pod = new RegExp(`^/api/v1/namespaces/${kernel.namespace}/pods/${kernel.pod}(\\?|$)`);
    const failing = [
      proxy.inject({ match: { method: 'GET', path: pod, watch: false }, fault: { status: 500 }, times: 2 }),
      proxy.inject({ match: { method: 'DELETE', path: pod }, fault: { status: 503 }, times: 2 }),
    ];
    try {
      await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`);
      expect(await eventually(() => get(`/v1/kernels/${kernelId}`), (status) => status.cleanedUp === true, 60_000)).toMatchObject({ phase: 'STOPPED' });
    } finally {
      for (const rule of failing) rule.remove();
    }
    expect(failing.map((rule) => rule.applied)).toEqual([2, 2]);
    const { events } = await orchestrator.temporal.client.workflow.getHandle(`kernel-${kernelId}`).fetchHistory();
    const scheduled = events!.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'deletePodAndWait').map((event) => Number(event.eventId));
    const attempts = events!.filter((event) => scheduled.includes(Number(event.activityTaskStartedEventAttributes?.scheduledEventId)))
      .map((event) => event.activityTaskStartedEventAttributes!.attempt);
    expect(attempts).toEqual([1]);
    expect(await statusOf(core.readNamespacedPod({ name: kernel.pod, namespace: kernel.namespace }))).toBe(404);
  }, 120_000);

  test('a 60-second API outage in the middle of cleanup: the cleanup completes after it', async () => {
    const kernelId = uniqueName('k');
    expect((await orchestrator.call('POST', '/v1/kernels', { kernelId, user: uniqueName('outage') })).statusCode).toBe(202);
    const kernel = await eventually(() => get(`/v1/kernels/${kernelId}`), (status) => status.phase !== 'STARTING', 60_000);
    expect(kernel.phase).toBe('RUNNING');
    const outage = proxy.outage(60_000);
    await orchestrator.call('DELETE', `/v1/kernels/${kernelId}`);
    // During the outage the cleanup cannot get through: the pod is still there.
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    expect(await get(`/v1/kernels/${kernelId}`)).toMatchObject({ phase: 'STOPPED', cleanedUp: false });
    expect(await statusOf(core.readNamespacedPod({ name: kernel.pod, namespace: kernel.namespace }))).toBe(200);
    await outage;
    expect(await eventually(() => get(`/v1/kernels/${kernelId}`), (status) => status.cleanedUp === true, 150_000)).toMatchObject({ phase: 'STOPPED' });
    expect(await leftBy(`kernel-${kernelId}`)).toEqual([]);
    expect(proxy.stats().cuts + (proxy.stats().statuses[503] ?? 0)).toBeGreaterThan(0);
  }, 300_000);

  test('a worker (re)started while the API server is away polls Temporal anyway: reads answer, work starts, and it runs once the API is back', async () => {
    const outage = proxy.outage(45_000);
    const startedAt = Date.now();
    const late = await startOrchestrator({ KUBECONFIG_LOCAL: join(dir, 'kubeconfig') });
    try {
      // It did not wait for the API server: the ClusterRoles check goes on while it polls.
      expect(Date.now() - startedAt).toBeLessThan(35_000);
      expect((await late.call('GET', '/healthz')).statusCode).toBe(200);
      const kernelId = uniqueName('k');
      expect((await late.call('POST', '/v1/kernels', { kernelId, user: uniqueName('restarted') })).statusCode).toBe(202);
      const during = await late.call('GET', `/v1/kernels/${kernelId}`);
      expect(during.statusCode).toBe(200);
      expect(during.json().phase).toBe('STARTING');
      await outage;
      expect(await eventually(async () => (await late.call('GET', `/v1/kernels/${kernelId}`)).json(), (status) => status.phase !== 'STARTING', 120_000)).toMatchObject({ phase: 'RUNNING' });
      await late.call('DELETE', `/v1/kernels/${kernelId}`);
      expect(await eventually(async () => (await late.call('GET', `/v1/kernels/${kernelId}`)).json(), (status) => status.cleanedUp === true, 120_000)).toMatchObject({ phase: 'STOPPED' });
      expect(await leftBy(`kernel-${kernelId}`)).toEqual([]);
    } finally {
      proxy.endOutage();
      await late.stop();
    }
  }, 300_000);
});
