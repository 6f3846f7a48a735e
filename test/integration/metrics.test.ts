import { describe, expect, test } from '@jest/globals';
import { SparkJobsClient } from '../../src/client/spark-jobs.js';
import { freePort } from '../../src/local/ports.js';
import { eventually, uniqueName } from './stack/kube.js';
import { workerProcessSuite } from './stack/worker-process.js';
import { sparkPiInput } from './stack/spark-pi.js';

describe('the worker\'s Prometheus metrics (WORKER_METRICS_ADDRESS)', () => {
  const suite = workerProcessSuite('metrics');

  test('serve Temporal\'s worker metrics and the orchestrator\'s own: endings by phase and cleanup duration', async () => {
    const taskQueue = uniqueName('metrics');
    const address = `127.0.0.1:${await freePort()}`;
    suite.workers.start(taskQueue, 'worker', { WORKER_METRICS_ADDRESS: address });
    const user = uniqueName('metrics');
    const { workflowId } = await new SparkJobsClient(suite.temporal.client, taskQueue).start(sparkPiInput(user, 1));
    await suite.temporal.client.workflow.getHandle(workflowId).result();

    const scrape = async (): Promise<string> => (await fetch(`http://${address}/metrics`)).text();
    const text = await eventually(scrape, (body) => body.includes('compute_orchestrator_cleanup_duration'), 30_000);
    const lines = text.split('\n');
    expect(lines.some((line) => /^compute_orchestrator_endings\{.*kind="spark-job".*phase="SUCCEEDED".*\} 1$/.test(line))).toBe(true);
    expect(lines.some((line) => /^compute_orchestrator_cleanup_duration(_bucket|_count|_sum)?\{.*kind="spark-job"/.test(line))).toBe(true);
    expect(lines.some((line) => line.startsWith('temporal_workflow_completed') || line.startsWith('temporal_workflow_task_schedule_to_start_latency'))).toBe(true);
    expect(lines.some((line) => line.startsWith('temporal_activity_execution_latency'))).toBe(true);
  }, 120_000);
});
