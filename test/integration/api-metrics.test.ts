import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { callApi } from './stack/http.js';
import { eventually, uniqueName } from './stack/kube.js';
import { pluginToken, startOrchestrator, testToken, type Orchestrator } from './stack/orchestrator.js';
import { sparkPiJob } from './stack/spark-pi.js';

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((candidate) => (candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `)) && wanted.every((pair) => candidate.includes(pair)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('the API\'s Prometheus metrics (GET /metrics)', () => {
  let orchestrator: Orchestrator;
  const scrape = async (token = testToken) => callApi(orchestrator.url, 'GET', '/metrics', { token });

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });
  afterAll(async () => {
    await orchestrator?.stop();
  });

  test('need a token with the metrics scope', async () => {
    expect((await callApi(orchestrator.url, 'GET', '/metrics')).statusCode).toBe(401);
    const refused = await scrape(pluginToken);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain("lacks the scope 'metrics'");
  });

  test('count a Spark job started through the API under its kind and status, and the requests by route and status code', async () => {
    const job = sparkPiJob(uniqueName('metrics'), 20);
    const started = await orchestrator.call('POST', '/v1/spark-jobs', job);
    expect(started.statusCode).toBe(202);
    expect((await orchestrator.call('GET', `/v1/spark-jobs/${job.jobId}`)).statusCode).toBe(200);
    expect((await orchestrator.call('GET', '/v1/spark-jobs/no-such-job')).statusCode).toBe(404);

    const running = await eventually(() => scrape().then((answer) => answer.text),
      (text) => sample(text, 'compute_orchestrator_workflows', { kind: 'spark-job', status: 'Running' }) === 1, 30_000);
    expect(sample(running, 'compute_orchestrator_workflows', { kind: 'kernel', status: 'Running' })).toBe(0);
    expect(sample(running, 'compute_orchestrator_workflows', { kind: 'spark-job', status: 'Completed' })).toBe(0);
    expect(sample(running, 'compute_orchestrator_workflows_counted', {})).toBe(1);
    const requests = (labels: Record<string, string>) => sample(running, 'compute_orchestrator_api_requests_total', labels);
    expect(requests({ method: 'POST', route: '/v1/spark-jobs', status_code: '202' })).toBe(1);
    expect(requests({ method: 'GET', route: '/v1/spark-jobs/:jobId', status_code: '200' })).toBe(1);
    expect(requests({ method: 'GET', route: '/v1/spark-jobs/:jobId', status_code: '404' })).toBe(1);
    expect(requests({ method: 'GET', route: '/metrics', status_code: '403' })).toBe(1);
    expect(sample(running, 'compute_orchestrator_api_request_duration_seconds_count', { route: '/v1/spark-jobs', status_code: '202' })).toBe(1);
    expect(running).toMatch(/^process_cpu_seconds_total \d/m);

    expect((await orchestrator.call('POST', `/v1/spark-jobs/${job.jobId}/cancel`, {})).statusCode).toBe(202);
    await orchestrator.temporal.client.workflow.getHandle(started.json().workflowId).result();
    await eventually(() => scrape().then((answer) => answer.text),
      (text) => sample(text, 'compute_orchestrator_workflows', { kind: 'spark-job', status: 'Running' }) === 0
        && sample(text, 'compute_orchestrator_workflows', { kind: 'spark-job', status: 'Completed' }) === 1, 30_000);
  }, 120_000);
});
