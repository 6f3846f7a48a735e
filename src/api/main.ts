import { loadRuntimeConfig } from '../config.js';
import { connectTemporal } from '../client/temporal.js';
import { createLogger } from '../logger.js';
import { exitOnStartupError, runUntilSignal } from '../process-lifecycle.js';
import { TokenRegistry } from './auth.js';
import { buildApi } from './app.js';
import { apiDeps } from './deps.js';

/** Stand-alone API process (production: several replicas behind a load balancer). */
async function start() {
  const config = loadRuntimeConfig();
  const tokens = TokenRegistry.fromFile(config.apiTokensFile);
  const logger = createLogger('api');
  // An API (re)started while Temporal restarts listens at once and answers 503 until Temporal is back.
  const temporal = await connectTemporal(config, { lazy: true });
  const api = await buildApi(apiDeps(config, temporal, tokens, logger));
  await api.listen({ host: config.apiHost, port: config.apiPort });
  return { logger, stop: async () => {
    await api.close();
    await temporal.close();
  } };
}

const running = await start().catch(exitOnStartupError('api'));
await runUntilSignal(running.logger, running.stop);
