import { knownClustersOf } from '../client/known-clusters.js';
import { kernelContext } from '../client/kernel-catalog.js';
import type { TemporalHandle } from '../client/temporal.js';
import type { RuntimeConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { ApiDeps } from './api-types.js';
import type { TokenRegistry } from './auth.js';
import { kernelEndpoints } from './kernel-endpoints.js';

/** The API's dependencies from the runtime configuration; the kernel catalogue and cluster presets are checked here, at start-up. */
export function apiDeps(config: RuntimeConfig, temporal: TemporalHandle, tokens: TokenRegistry, logger: Logger): ApiDeps {
  const knownClusters = knownClustersOf(config);
  return {
    temporal,
    taskQueue: config.taskQueue,
    tokens,
    bodyLimitBytes: config.apiBodyLimitBytes,
    orchestratorNamespace: config.orchestratorNamespace,
    kernels: kernelContext(config),
    kernelEndpoints: kernelEndpoints(config, temporal, knownClusters.presets),
    sparkMaxInFlightPerUser: config.sparkMaxInFlightPerUser,
    knownClusters,
    janitorGraceSeconds: config.janitorGraceSeconds,
    codecCorsOrigins: config.codecCorsOrigins,
    logger,
  };
}
