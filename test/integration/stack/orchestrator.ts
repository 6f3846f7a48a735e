import { pino } from 'pino';
import { buildApi, type Api } from '../../../src/api/app.js';
import { hashToken, TokenRegistry } from '../../../src/api/auth.js';
import { apiDeps } from '../../../src/api/deps.js';
import { loadRuntimeConfig } from '../../../src/config.js';
import { connectTemporal, type TemporalHandle } from '../../../src/client/temporal.js';
import { toolBinary } from '../../../src/local/paths.js';
import { startWorker, type RunningWorker } from '../../../src/worker.js';
import { callApi, type Answer } from './http.js';
import { uniqueName } from './kube.js';
import { readStackInfo } from './stack-info.js';

type Call = (method: string, path: string, body?: unknown) => Promise<Answer>;

export interface Orchestrator {
  url: string;
  taskQueue: string;
  temporal: TemporalHandle;
  worker: RunningWorker;
  call: Call;
  /** Another API process's worth: its own server and Temporal connection, the same configuration. */
  replica(): Promise<{ call: Call }>;
  stop(): Promise<void>;
}

export const testToken = 'integration-test-operator-token';

/** A real worker and a real API on the shared stack, on a task queue of the test file's own; `env` configures both. */
export async function startOrchestrator(env: Record<string, string> = {}): Promise<Orchestrator> {
  const info = readStackInfo();
  const taskQueue = uniqueName('tq');
  const config = loadRuntimeConfig({
    ...env, TEMPORAL_ADDRESS: info.temporalAddress, TEMPORAL_TASK_QUEUE: taskQueue, KUBECONFIG_LOCAL: info.workerKubeconfig, SPARK_SUBMIT: toolBinary('spark', 'spark-submit'),
  });
  const worker = await startWorker(config, pino({ level: 'silent' }));
  const tokens = new TokenRegistry({ tokens: [{ name: 'integration-test', sha256: hashToken(testToken), scopes: ['*'] }] });
  const apis: Array<{ api: Api; temporal: TemporalHandle }> = [];
  const serve = async (): Promise<{ url: string; temporal: TemporalHandle; call: Call }> => {
    const temporal = await connectTemporal(config);
    const api = await buildApi(apiDeps(config, temporal, tokens, pino({ level: 'silent' })));
    apis.push({ api, temporal });
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    return { url, temporal, call: (method, path, body) => callApi(url, method, path, { token: testToken, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }) };
  };
  const primary = await serve();
  return {
    ...primary, taskQueue, worker,
    replica: serve,
    async stop() {
      for (const { api, temporal } of apis) {
        await api.close();
        await temporal.close();
      }
      await worker.stop();
    },
  };
}
