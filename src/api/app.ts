import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import { readFileSync } from 'node:fs';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type RawServerDefault, type RawRequestDefaultExpression, type RawReplyDefaultExpression } from 'fastify';
import type { Api, ApiDeps } from './api-types.js';
import { allows, type TokenRegistry } from './auth.js';
import { answerError, ErrorBody, HttpError, installErrorHandling, isJupyterRoute, JupyterErrorBody, maxPathParameterLength, sharedErrorResponses } from './errors.js';
import { installMetrics } from './metrics.js';
import { logAbout, logRequestSubject } from './request-log.js';
import { healthRoutes } from './routes/health.js';
import { openapiRoutes } from './routes/openapi.js';
import { clusterRoutes } from './routes/clusters.js';
import { janitorRoutes } from './routes/janitor.js';
import { codecRoutes } from './routes/codec.js';
import { jupyterGatewayRoutes } from './routes/jupyter-gateway.js';
import { kernelRoutes } from './routes/kernels.js';
import { kernelWebSocketV1 } from '../jupyter/websocket-protocol.js';
import { sparkJobRoutes } from './routes/spark-jobs.js';

// The document's version is the package's, so that a client generated from it names the release it was made from.
const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The OpenAPI tags, one per group of routes; each route names its own. */
const tags = [
  { name: 'health', description: 'Whether the API, Temporal and a worker are up' },
  { name: 'spark-jobs', description: 'Spark jobs: a temporary identity per job, spark-submit in cluster mode, guaranteed cleanup' },
  { name: 'kernels', description: 'Jupyter kernel sessions with Enterprise Gateway semantics: launch, idle culling, shutdown' },
  { name: 'jupyter', description: "Jupyter's gateway API (Enterprise Gateway's), for Jupyter Server's GatewayClient: the same kernel sessions" },
  { name: 'clusters', description: 'GKE clusters created and destroyed, static clusters attached' },
  { name: 'janitor', description: 'Sweeps of what workflows terminated by hand left behind (operators)' },
  { name: 'codec', description: "Temporal's codec server protocol, for the Web UI and the Temporal CLI (payload decryption)" },
  { name: 'metrics', description: 'Prometheus metrics of this API replica and the workflows it serves (operators, scrapers)' },
];

function authenticate(app: Api, tokens: TokenRegistry): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config.public || request.is404) return;
    const header = request.headers.authorization ?? '';
    // `token` is how Jupyter's gateway client presents the same tokens.
    const match = /^(?:Bearer|token)\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new HttpError(401, 'UNAUTHENTICATED', 'missing bearer token: send the header Authorization: Bearer <token> (or Jupyter\'s Authorization: token <token>)');
    const principal = tokens.authenticate(match[1]);
    if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'unknown bearer token');
    const permitted = config.scope ? allows(principal, config.scope) : principal.scopes.includes('*');
    if (!permitted) throw new HttpError(403, 'FORBIDDEN', `token '${principal.name}' lacks the scope '${config.scope ?? '*'}' for ${request.method} ${request.routeOptions.url ?? ''}`);
    request.principal = principal;
    logAbout(request, reply, { principal: principal.name });
  });
  app.addHook('preHandler', async (request, reply) => {
    const kind = request.routeOptions.config.computeKind;
    if (kind) logRequestSubject(request, reply, kind);
  });
}

/**
 * An empty body sent as `application/json` is no body: HTTP clients set up for a JSON API send
 * the header with every request, bodiless ones too. A route that needs a body still refuses none
 * ("body must be object"), and a body that is not JSON stays a 400.
 */
function acceptEmptyJsonBodies(app: Api): void {
  // Fastify's own defaults for JSON's __proto__ and constructor keys.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) done(null, undefined);
    // Fastify's parser answers through `done` and returns nothing.
    else void parseJson(request, body, done);
  });
}

/**
 * The REST API of DESIGN.md. Routes register themselves as plugins; this function owns what
 * every route shares: authentication, validation settings, body limit, error shape, OpenAPI.
 */
export async function buildApi(deps: ApiDeps): Promise<Api> {
  const app: Api = Fastify<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger>({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes,
    routerOptions: { maxParamLength: maxPathParameterLength },
    frameworkErrors: (error, request, reply) => {
      void answerError(error, request, reply);
    },
    // Unknown fields are refused, never silently dropped, and types are never coerced. Verbose
    // errors carry their schema, from which a message names the values a field allows.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false, verbose: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only: anything else is answered 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  acceptEmptyJsonBodies(app);
  installErrorHandling(app);
  app.addSchema(ErrorBody);
  app.addSchema(JupyterErrorBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'compute-orchestrator',
        version: packageVersion,
        description: 'Durable provisioning and cleanup of data-science compute on Kubernetes. Every error answers `{ error: { code, message, field? } }`.',
      },
      tags,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (API_TOKENS_FILE); each route needs a scope of it' } } },
    },
    // Shared schemas keep their $id as their component name (`Error`), which generated clients turn into a type name.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  app.addHook('onRoute', (route) => {
    if (route.config?.public) return;
    const schema = route.schema ?? {};
    route.schema = { ...schema, security: [{ bearer: [] }], response: { ...sharedErrorResponses(schema, isJupyterRoute(route.url)), ...(schema.response as object | undefined) } };
  });
  authenticate(app, deps.tokens);
  // Jupyter's v1 kernel protocol when the client offers it; otherwise its plain JSON one.
  await app.register(websocket, {
    options: { maxPayload: 64 * 1024 * 1024, handleProtocols: (offered: Set<string>) => (offered.has(kernelWebSocketV1) ? kernelWebSocketV1 : false) },
  });
  installMetrics(app, deps);
  await app.register(healthRoutes(deps));
  await app.register(openapiRoutes);
  await app.register(sparkJobRoutes(deps));
  await app.register(kernelRoutes(deps));
  await app.register(jupyterGatewayRoutes(deps));
  await app.register(clusterRoutes(deps));
  await app.register(janitorRoutes(deps));
  await app.register(codecRoutes(deps));
  return app;
}
