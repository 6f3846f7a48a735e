import { pino } from 'pino';
import type { Api } from '../../../src/api/api-types.js';
import { buildApi } from '../../../src/api/app.js';
import { hashToken, TokenRegistry } from '../../../src/api/auth.js';
import { apiDeps } from '../../../src/api/deps.js';
import { loadRuntimeConfig } from '../../../src/config.js';
import { connectTemporal, type TemporalHandle } from '../../../src/client/temporal.js';
import { startWorker, type RunningWorker } from '../../../src/worker.js';
import { callApi, type Answer } from './http.js';
import { uniqueName } from './kube.js';
import { stackEnv } from './stack-info.js';

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
/** A client's token (the DSS plugin's scopes): every route of its own, but not what is for operators. */
export const pluginToken = 'integration-test-plugin-token';

/** A user's Jupyter Server's token: kernels of `jupyterUser` only. */
export const jupyterToken = 'integration-test-jupyter-token';
export const jupyterUser = 'jupyter-user';

/** The API's tokens in tests: `testToken` (operator), `pluginToken` and `jupyterToken`. */
export const testTokens = new TokenRegistry({ tokens: [
  { name: 'integration-test', sha256: hashToken(testToken), scopes: ['*'] },
  { name: 'integration-test-plugin', sha256: hashToken(pluginToken), scopes: ['spark-jobs', 'kernels', 'clusters'] },
  { name: 'integration-test-jupyter', sha256: hashToken(jupyterToken), scopes: ['kernels'], user: jupyterUser },
] });

/** A real worker and a real API on the shared stack, on a task queue of the test file's own; `env` configures both. */
export async function startOrchestrator(env: Record<string, string> = {}): Promise<Orchestrator> {
  const taskQueue = env.TEMPORAL_TASK_QUEUE ?? uniqueName('tq');
  const config = loadRuntimeConfig({ ...stackEnv(), ...env, TEMPORAL_TASK_QUEUE: taskQueue });
  const worker = await startWorker(config, pino({ level: 'silent' }));
  const apis: Array<{ api: Api; temporal: TemporalHandle }> = [];
  const serve = async (): Promise<{ url: string; temporal: TemporalHandle; call: Call }> => {
    const temporal = await connectTemporal(config);
    const api = await buildApi(apiDeps(config, temporal, testTokens, pino({ level: 'silent' })));
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
