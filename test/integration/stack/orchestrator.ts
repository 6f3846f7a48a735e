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

export interface Orchestrator {
  url: string;
  taskQueue: string;
  temporal: TemporalHandle;
  worker: RunningWorker;
  call(method: string, path: string, body?: unknown): Promise<Answer>;
  stop(): Promise<void>;
}

export const testToken = 'integration-test-operator-token';

/** A real worker and a real API on the shared stack, on a task queue of the test file's own; `env` configures the API. */
export async function startOrchestrator(env: Record<string, string> = {}): Promise<Orchestrator> {
  const info = readStackInfo();
  const taskQueue = uniqueName('tq');
  const config = {
    temporalAddress: info.temporalAddress, temporalNamespace: 'default', taskQueue,
    localKubeconfig: info.kubeconfig, sparkSubmit: toolBinary('spark', 'spark-submit'),
  };
  const worker = await startWorker(config);
  const temporal = await connectTemporal(config);
  const tokens = new TokenRegistry({ tokens: [{ name: 'integration-test', sha256: hashToken(testToken), scopes: ['*'] }] });
  const api: Api = await buildApi(apiDeps(loadRuntimeConfig({ ...env, TEMPORAL_TASK_QUEUE: taskQueue }), temporal, tokens, pino({ level: 'silent' })));
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  return {
    url, taskQueue, temporal, worker,
    call: (method, path, body) => callApi(url, method, path, { token: testToken, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }),
    async stop() {
      await api.close();
      await worker.stop();
      await temporal.close();
    },
  };
}
