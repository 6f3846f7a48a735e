import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { KernelEndpoints } from '../client/kernel-gateway.js';
import type { KernelRequestContext } from '../client/kernel-request.js';
import type { TemporalHandle } from '../client/temporal.js';
import type { KnownClusters } from '../client/known-clusters.js';
import type { ComputeKind } from '../domain/labels.js';
import type { Logger } from '../logger.js';
import type { Principal, Scope, TokenRegistry } from './auth.js';

// What the routes and app.ts share, apart from app.ts: a route that imported app.ts would import every other route with it.

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Open to anyone (health, OpenAPI); every other route needs a bearer token. */
    public?: boolean;
    /** The scope a token needs; a route without one is for `*` (operator) tokens only. */
    scope?: Scope;
    /** What the route acts on: its log lines name the workflow and user (src/api/request-log.ts). */
    computeKind?: ComputeKind;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface ApiDeps {
  temporal: Pick<TemporalHandle, 'client' | 'connection' | 'codec'>;
  taskQueue: string;
  tokens: TokenRegistry;
  bodyLimitBytes: number;
  orchestratorNamespace: string;
  kernels: KernelRequestContext;
  /** Where the channels of a running kernel are reached. */
  kernelEndpoints: KernelEndpoints;
  sparkMaxInFlightPerUser: number;
  /** The operators' cluster presets, and `local` when this API reaches one. */
  knownClusters: KnownClusters;
  janitorGraceSeconds: number;
  /** Browser origins allowed to call the codec endpoint. */
  codecCorsOrigins: string[];
  logger: Logger;
}
