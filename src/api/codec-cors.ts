import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

// What the Web UI sends: JSON and the namespace, and with "pass access token" its bearer and ID tokens.
const allowedHeaders = 'Authorization, Authorization-Extras, Content-Type, X-Namespace';

/**
 * CORS for the codec endpoint, which the Temporal Web UI calls from the operator's browser: the
 * configured origins only (CODEC_CORS_ORIGINS), with credentials, since the UI may send cookies or
 * an Authorization header. No other route is meant for browsers, so no other route has CORS.
 */
export function codecCors(origins: readonly string[]) {
  const allowed = new Set(origins);
  const allowedOrigin = (request: FastifyRequest): string | undefined => {
    const origin = request.headers.origin;
    return origin !== undefined && allowed.has(origin) ? origin : undefined;
  };
  return {
    /** Every answer, refusals included: a browser shows the UI a 401 only with these headers. */
    onSend: async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
      void reply.header('vary', 'Origin');
      const origin = allowedOrigin(request);
      if (origin !== undefined) void reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
      return payload;
    },
    preflight: async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      if (allowedOrigin(request) === undefined) {
        throw new HttpError(403, 'FORBIDDEN', `origin '${request.headers.origin ?? ''}' may not call the codec endpoint: it is not in CODEC_CORS_ORIGINS`);
      }
      return reply.status(204)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', allowedHeaders)
        .header('access-control-max-age', '600')
        .send();
    },
  };
}
