import { loadRuntimeConfig } from '../config.js';
import { connectTemporal } from '../client/temporal.js';
import { createLogger } from '../logger.js';
import { TokenRegistry } from './auth.js';
import { buildApi } from './app.js';
import { runUntilSignal } from '../process-lifecycle.js';

/** Stand-alone API process (production: several replicas behind a load balancer). */
const config = loadRuntimeConfig();
const logger = createLogger('api');
const temporal = await connectTemporal(config);
const api = await buildApi({
  temporal,
  taskQueue: config.taskQueue,
  tokens: TokenRegistry.fromFile(config.apiTokensFile),
  bodyLimitBytes: config.apiBodyLimitBytes,
  orchestratorNamespace: config.orchestratorNamespace,
  logger,
});
await api.listen({ host: config.apiHost, port: config.apiPort });
await runUntilSignal(logger, async () => {
  await api.close();
  await temporal.close();
});
