import { Type, type Static } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { asTemporalUnavailable } from '../client/workflow-errors.js';
import { DomainError, type ErrorCode } from '../domain/errors.js';
import { allowedValues, mustBeOneOf } from '../domain/schema-problem.js';

/** Every `error.code` the API answers with; HttpError takes only these, so the OpenAPI enum cannot miss one. */
export const apiErrorCodes = [
  'VALIDATION', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'CONFLICT', 'LIMIT_EXCEEDED',
  'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'BAD_REQUEST', 'INTERNAL', 'UNAVAILABLE',
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

/** The error shape of DESIGN.md, `{ error: { code, message, field? } }`: the OpenAPI document's `Error` component. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.Unsafe<ApiErrorCode>({ type: 'string', enum: [...apiErrorCodes] }),
    message: Type.String({ description: 'For people: what is wrong and, for 400, what to change' }),
    field: Type.Optional(Type.String({ description: 'The request field at fault, as a dotted path (app.image, env.KERNEL_UID)' })),
  }, { additionalProperties: false }),
}, { $id: 'Error', additionalProperties: false });
export type ErrorBody = Static<typeof ErrorBody>;

/** Jupyter's gateway API answers errors as Jupyter Server shows them (`message`, `reason`), with ours beside. */
export const JupyterErrorBody = Type.Object({
  message: Type.String({ description: 'What is wrong, as Jupyter shows it' }),
  reason: Type.String({ description: 'The HTTP reason phrase' }),
  error: ErrorBody.properties.error,
}, { $id: 'JupyterError', additionalProperties: false });

/** Routes of Jupyter's gateway API. */
export const isJupyterRoute = (url: string | undefined): boolean => url !== undefined && (url.startsWith('/api/') || url.startsWith('/kernelspecs/'));

/** A response schema of the shared `Error` body; `description` says what the status means on this route. */
export function errorResponse(description: string, jupyter = false) {
  return jupyter ? Type.Ref(JupyterErrorBody, { description }) : Type.Ref(ErrorBody, { description });
}

/**
 * The error statuses every authenticated route may answer, from the token check and from what it
 * validates; a route declares its own (409, or a 404 without path parameters) and may reword these.
 */
export function sharedErrorResponses(schema: { body?: unknown; params?: unknown; querystring?: unknown }, jupyter = false) {
  const response = (description: string) => errorResponse(description, jupyter);
  return {
    ...(schema.body || schema.params || schema.querystring ? { 400: response('Invalid request (VALIDATION): `field` names what to change') } : {}),
    401: response('Missing or unknown bearer token (UNAUTHENTICATED)'),
    403: response("The token lacks this route's scope, or the request asks for something forbidden, `field` naming it (FORBIDDEN)"),
    ...(schema.params ? { 404: response('Nothing by that id (NOT_FOUND)') } : {}),
    ...(schema.body ? {
      413: response('Body over the size limit (PAYLOAD_TOO_LARGE)'),
      415: response('Body not JSON (UNSUPPORTED_MEDIA_TYPE)'),
    } : {}),
    500: response('Internal error, the server log has the details (INTERNAL)'),
    503: response("Temporal, or the worker a workflow's answer needs, cannot answer now: try again (UNAVAILABLE)"),
  };
}

/**
 * The longest path parameter the router takes, in UTF-16 code units once decoded. Fastify's 100
 * refused valid ones (a kernel spec's name is up to 64 characters, 128 units outside the BMP);
 * up to this, the schema is what refuses a long one, naming the field.
 */
export const maxPathParameterLength = 256;

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: ApiErrorCode, message: string, readonly field?: string) {
    super(message);
  }
}

const domainStatus: Record<ErrorCode, number> = {
  VALIDATION: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  // A limit the client can lift by ending something of its own: a conflict with the current state (DESIGN.md's 409).
  LIMIT_EXCEEDED: 409,
  UNAVAILABLE: 503,
};

const frameworkCodes: Record<number, ApiErrorCode> = {
  400: 'VALIDATION',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** The schema object holding the keyword (Ajv's `verbose` option). */
  parentSchema?: unknown;
}

/** `/app/image` plus a missing `mainClass` → `app.mainClass`: the field a person has to fix. */
export function fieldOf(error: AjvError): string {
  const path = error.instancePath.split('/').filter(Boolean);
  const extra = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof extra === 'string') path.push(extra);
  return path.join('.');
}

const valueKeywords = new Set(['const', 'enum', 'type', 'anyOf']);

/**
 * The values a field allows, when its schema lists them. A union fails in each of its branches
 * before it fails itself (`must be equal to constant` for each literal, then `anyOf`): the union
 * at the same place, if any, is what names them all.
 */
function allowedAt(errors: AjvError[], first: AjvError): unknown[] | undefined {
  if (!valueKeywords.has(first.keyword)) return undefined;
  const union = errors.find((error) => error.keyword === 'anyOf' && error.instancePath === first.instancePath);
  return allowedValues((union ?? first).parentSchema);
}

/** The first error of a validation, told with what the others add. */
function describeValidation(first: AjvError, errors: AjvError[], context: string | undefined): HttpError {
  const field = fieldOf(first);
  const where = field || context || 'body';
  const allowed = allowedAt(errors, first);
  const message = first.keyword === 'required' ? `${where} is required`
    : first.keyword === 'additionalProperties' ? `${where} is not a known field`
      : allowed ? `${where} ${mustBeOneOf(allowed)}`
        : `${where} ${first.message ?? 'is invalid'}`;
  return new HttpError(400, 'VALIDATION', message, field || undefined);
}

/** Maps every error to one HTTP answer; the only place that does. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const domain = error instanceof DomainError ? error : asTemporalUnavailable(error);
  if (domain) return new HttpError(domainStatus[domain.code], domain.code, domain.message, domain.field);
  const framework = error as FastifyError & { validation?: AjvError[] };
  if (framework.validation?.[0]) return describeValidation(framework.validation[0], framework.validation, framework.validationContext);
  // Fastify's 414, for a path parameter longer than the router takes: too long for any of ours, so invalid.
  if (framework.code === 'FST_ERR_MAX_PARAM_LENGTH') return new HttpError(400, 'VALIDATION', `a path parameter is longer than ${maxPathParameterLength} characters`);
  const status = framework.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new HttpError(status, frameworkCodes[status] ?? 'BAD_REQUEST', framework.message);
  }
  return new HttpError(500, 'INTERNAL', 'internal error; the server log has the details');
}

export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  const body: ErrorBody = { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
  if (error.status === 401) void reply.header('www-authenticate', 'Bearer');
  const jupyter = isJupyterRoute(reply.request.routeOptions.url ?? reply.request.url);
  return reply.status(error.status).send(jupyter ? { message: error.message, reason: STATUS_CODES[error.status] ?? 'Error', ...body } : body);
}

/**
 * The methods each route path answers. Fastify answers a known path asked with another method as
 * if the path were unknown; RFC 9110 wants 405 with an `Allow` header, which tells a client that
 * the URL is right and the method wrong.
 */
class RouteMethods {
  private readonly routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(url: string, method: string | string[]): void {
    const route = this.routes.get(url) ?? { pattern: routePattern(url), methods: new Set<string>() };
    for (const each of [method].flat()) route.methods.add(each.toUpperCase());
    this.routes.set(url, route);
  }

  /** Every method some route answers at this path, sorted; none for an unknown path. */
  allowedAt(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.routes.values()) if (route.pattern.test(path)) route.methods.forEach((method) => methods.add(method));
    return [...methods].sort();
  }
}

/** Fastify's route syntax as a regular expression: `:name` is one path segment, a trailing `*` any rest. */
function routePattern(url: string): RegExp {
  const source = url.split(/(:[A-Za-z0-9_]+|\*)/).map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return '[^/]+';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('');
  return new RegExp(`^${source}$`);
}

/**
 * Every error's answer. Also Fastify's `frameworkErrors`: what its router refuses before any route
 * (a path parameter over `maxParamLength`, a malformed percent-encoding) is answered in the error
 * shape too, not in Fastify's own.
 */
export function answerError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = toHttpError(error);
  // The request's logger: its line names the principal and the workflow, where known.
  if (mapped.status >= 500) request.log.error({ err: error, route: request.routeOptions.url, method: request.method }, 'request failed');
  return sendError(reply, mapped);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(answerError);
  // Routes register after this, each through the hook.
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route.url, route.method));
  // On the way in, before anything reads the body: Fastify would refuse a bodyless QUERY (400) before its not-found handler ran.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = routeMethods.allowedAt(path);
    if (allowed.length === 0) return;
    void reply.header('allow', allowed.join(', '));
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not a method of ${path}: it answers ${allowed.join(', ')}`);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new HttpError(404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));
}
