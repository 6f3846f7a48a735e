import type { ServerResponse } from 'node:http';

/**
 * The reason the API server gives with each code (metav1.StatusReason), so a client classifies a
 * made-up failure as it would a real one. 410 is Expired: what a watch or list with a compacted
 * resourceVersion gets, the 410 a client has to handle.
 */
const reasons: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

// The API server asks clients to come back later on these; client-go's backoff reads Retry-After.
const retryable = new Set([429, 503]);
const retryAfterSeconds = 1;

/** Answers as the API server fails a request: a v1 Status with the code, its reason and `message`. */
export function answerWithStatus(res: ServerResponse, code: number, message: string): void {
  const retry = retryable.has(code);
  const reason = reasons[code];
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    // The API server leaves out a reason it does not know (StatusReasonUnknown is '').
    ...(reason !== undefined ? { reason } : {}),
    ...(retry ? { details: { retryAfterSeconds } } : {}),
    code,
  });
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(retry ? { 'retry-after': String(retryAfterSeconds) } : {}),
  });
  res.end(body);
}
