import { status } from '@grpc/grpc-js';

/** A failure the simulated API answers with: the gRPC status code GKE uses and its wording. */
export class GkeApiError extends Error {
  constructor(readonly code: status, message: string) {
    super(message);
    this.name = 'GkeApiError';
  }
}

export function invalidArgument(message: string): GkeApiError {
  return new GkeApiError(status.INVALID_ARGUMENT, message);
}

export function notFound(resource: string): GkeApiError {
  return new GkeApiError(status.NOT_FOUND, `Not found: ${resource}.`);
}
