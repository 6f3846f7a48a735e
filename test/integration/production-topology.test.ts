import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startPostgresBackedTemporal, type PostgresBackedTemporal } from '../../src/local/temporal-on-postgres.js';
import { callApi } from './stack/http.js';
import { eventually, uniqueName } from './stack/kube.js';
import { leftBy } from './stack/leftovers.js';
import { testToken } from './stack/orchestrator.js';
import { sparkPiJob } from './stack/spark-pi.js';
import { testStateDir } from './stack/stack-info.js';
import { killWorker, OrchestratorProcesses } from './stack/worker-process.js';

/**
 * The topology of docker-compose.yml without containers: Temporal built from go.temporal.io/server
 * on PostgreSQL (schema by temporal-sql-tool), two worker processes and two API processes on one
 * task queue, the shared Kubernetes control plane. Clients alternate between the API replicas.
 */
describe('production-shaped: Temporal on PostgreSQL, two workers, two API replicas', () => {
  const dir = join(testStateDir, `postgres-temporal-${process.pid}`);
  const processes = new OrchestratorProcesses(join(dir, 'logs'));
  const taskQueue = uniqueName('prod');
  const apiUrls: string[] = [];
  const workers: ChildProcess[] = [];
  let temporal: PostgresBackedTemporal | undefined;

  const api = (index: number) => (method: string, path: string, body?: unknown) =>
    callApi(apiUrls[index % apiUrls.length]!, method, path, { token: testToken, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const status = async (index: number, path: string): Promise<any> => (await api(index)('GET', path)).json();

  beforeAll(async () => {
    temporal = await startPostgresBackedTemporal(dir, join(dir, 'logs'));
    const common = { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue };
    for (const name of ['worker-a', 'worker-b']) workers.push(processes.start(taskQueue, name, common));
    for (const name of ['api-a', 'api-b']) apiUrls.push(await processes.startApi(name, common));
  }, 240_000);

  afterAll(async () => {
    await processes.killAll();
    await temporal?.stop();
  });

  test('a worker killed mid-way: the other finishes every job and kernel, nothing leaked', async () => {
    const user = uniqueName('prod');
    const jobs = [0, 1, 2, 3].map(() => sparkPiJob(user, 12));
    const kernelIds = [uniqueName('k'), uniqueName('k')];
    for (const [index, body] of jobs.entries()) expect((await api(index)('POST', '/v1/spark-jobs', body)).statusCode).toBe(202);
    for (const [index, kernelId] of kernelIds.entries()) expect((await api(index)('POST', '/v1/kernels', { kernelId, user })).statusCode).toBe(202);

    // Mid-way: every driver running and every kernel up, work spread over both workers.
    await Promise.all(jobs.map((body, index) => eventually(() => status(index, `/v1/spark-jobs/${body.jobId}`), (job) => job.phase === 'RUNNING', 120_000)));
    await Promise.all(kernelIds.map((kernelId, index) => eventually(() => status(index, `/v1/kernels/${kernelId}`), (kernel) => kernel.phase === 'RUNNING', 120_000)));
    await killWorker(workers[0]!);

    // A job accepted after the crash runs on the survivor alone.
    const late = sparkPiJob(user, 1);
    expect((await api(1)('POST', '/v1/spark-jobs', late)).statusCode).toBe(202);
    const ended = await Promise.all([...jobs, late].map((body, index) =>
      eventually(() => status(index, `/v1/spark-jobs/${body.jobId}`), (job) => job.cleanedUp === true, 180_000)));
    expect(ended.map((job) => [job.phase, job.exitCode])).toEqual(Array(5).fill(['SUCCEEDED', 0]));

    for (const [index, kernelId] of kernelIds.entries()) {
      expect(await status(index + 1, `/v1/kernels/${kernelId}`)).toMatchObject({ phase: 'RUNNING' });
      expect((await api(index)('DELETE', `/v1/kernels/${kernelId}`)).statusCode).toBe(202);
    }
    const stopped = await Promise.all(kernelIds.map((kernelId, index) =>
      eventually(() => status(index, `/v1/kernels/${kernelId}`), (kernel) => kernel.cleanedUp === true, 180_000)));
    expect(stopped.map((kernel) => kernel.phase)).toEqual(['STOPPED', 'STOPPED']);

    for (const workflowId of [...[...jobs, late].map((body) => `spark-job-${body.jobId}`), ...kernelIds.map((kernelId) => `kernel-${kernelId}`)]) {
      expect(await leftBy(workflowId)).toEqual([]);
    }
  }, 600_000);
});
