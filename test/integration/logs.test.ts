import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApi } from '../../src/api/app.js';
import { apiDeps } from '../../src/api/deps.js';
import { loadRuntimeConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { callApi } from './stack/http.js';
import { eventually, uniqueName } from './stack/kube.js';
import { testToken, testTokens } from './stack/orchestrator.js';
import { sparkPiApp } from './stack/spark-pi.js';
import { readStackInfo, stackEnv } from './stack/stack-info.js';
import { workerProcessSuite } from './stack/worker-process.js';

type Line = Record<string, unknown>;
const parse = (text: string): Line[] => text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Line);

describe('structured logs name the workflow, the job and the DSS user', () => {
  const suite = workerProcessSuite('logs');

  test('worker lines of the workflow and of its activities, and the API\'s request lines; no token or key in any', async () => {
    const taskQueue = uniqueName('logs');
    suite.workers.start(taskQueue, 'worker');
    const apiOutput: string[] = [];
    const api = await buildApi(apiDeps(loadRuntimeConfig({ ...stackEnv(), TEMPORAL_TASK_QUEUE: taskQueue }), suite.temporal, testTokens,
      createLogger('api', { write: (line: string) => apiOutput.push(line) })));
    const secretConf = `s3-secret-${uniqueName('value')}`;
    let workflowId = '';
    const user = uniqueName('logs');
    const jobId = uniqueName('job');
    try {
      const url = await api.listen({ host: '127.0.0.1', port: 0 });
      const started = await callApi(url, 'POST', '/v1/spark-jobs', {
        token: testToken, body: JSON.stringify({ jobId, user, app: sparkPiApp(1, { 'spark.hadoop.fs.s3a.secret.key': secretConf }) }),
      });
      expect(started.statusCode).toBe(202);
      workflowId = started.json().workflowId as string;
      expect((await callApi(url, 'GET', `/v1/spark-jobs/${jobId}`, { token: testToken })).statusCode).toBe(200);
      await suite.temporal.client.workflow.getHandle(workflowId).result();
    } finally {
      await api.close();
    }

    const workerLog = join(suite.workers.logDir, 'worker.log');
    // The worker writes its last lines (cleanup) just after the workflow's result is recorded.
    const workerLines = await eventually(async () => parse(readFileSync(workerLog, 'utf8')),
      (lines) => lines.some((line) => line.msg === 'cleanup done' && line.workflowId === workflowId), 10_000);
    const about = { workflowId, dssUser: user, jobId, computeKind: 'spark-job' };
    const workflowLine = workerLines.find((line) => line.sdkComponent === 'workflow' && line.msg === 'phase SUBMITTING');
    expect(workflowLine).toMatchObject({ ...about, phase: 'SUBMITTING', workflowType: 'sparkJob' });
    const activityLine = workerLines.find((line) => line.sdkComponent === 'activity' && line.msg === 'submitting the job to Spark');
    expect(activityLine).toMatchObject({ ...about, activityType: 'submitSparkJob', namespace: 'default', k8sNamespace: `dss-ns-${user}` });
    // The SDK's own lines about an activity, a local one here, carry it too; all but `Activity
    // started`, which the SDK writes before any interceptor has seen the headers.
    const localActivityLine = workerLines.find((line) => line.activityType === 'createServiceAccount' && line.msg === 'Activity completed');
    expect(localActivityLine).toMatchObject({ ...about, isLocal: true });

    const completed = parse(apiOutput.join('')).filter((line) => line.msg === 'request completed');
    expect(completed).toHaveLength(2);
    expect(completed[0]).toMatchObject({ ...about, principal: 'integration-test', res: { statusCode: 202 } });
    expect(completed[1]).toMatchObject({ workflowId, jobId, computeKind: 'spark-job', principal: 'integration-test', res: { statusCode: 200 } });

    const everything = `${readFileSync(workerLog, 'utf8')}\n${apiOutput.join('')}`;
    const codecKeys = JSON.parse(readFileSync(readStackInfo().codecKeysFile, 'utf8')) as { keys: Record<string, string> };
    for (const secret of [testToken, secretConf, ...Object.values(codecKeys.keys)]) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  }, 120_000);
});
