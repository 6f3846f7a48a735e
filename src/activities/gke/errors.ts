import { status } from '@grpc/grpc-js';
import { ApplicationFailure } from '@temporalio/common';

/** The gRPC status of a failed GKE call (gax's GoogleError), if it has one. */
export function grpcCode(error: unknown): status | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code in status ? code : undefined;
}

/** GKE's own wording: gax puts it in `details` and prefixes `message` with the code. */
export function gkeMessage(error: unknown): string {
  const { details, message } = (error ?? {}) as { details?: unknown; message?: unknown };
  if (typeof details === 'string' && details) return details;
  return typeof message === 'string' ? message : String(error);
}

// GKE allows one operation at a time on a cluster; its FAILED_PRECONDITION for a clash
// ("Operation X is currently creating cluster C. Please wait and try again once it is done.",
// "Cluster is running incompatible operation X.") passes once that operation has ended.
const busyCluster = /currently (creating|deleting|upgrading|updating|repairing|resizing)|incompatible operation|please wait and try again/i;

export const isBusyCluster = (error: unknown): boolean =>
  grpcCode(error) === status.FAILED_PRECONDITION && busyCluster.test(gkeMessage(error));

const nonRetryableTypes: Partial<Record<status, string>> = {
  [status.PERMISSION_DENIED]: 'GkePermissionDenied',
  [status.INVALID_ARGUMENT]: 'GkeInvalidRequest',
  [status.FAILED_PRECONDITION]: 'GkeInvalidRequest',
  [status.OUT_OF_RANGE]: 'GkeInvalidRequest',
  [status.UNIMPLEMENTED]: 'GkeInvalidRequest',
  [status.NOT_FOUND]: 'GkeNotFound',
  [status.ALREADY_EXISTS]: 'GkeAlreadyExists',
};

/**
 * A failed GKE call becomes a typed failure, once. Refusals (IAM, quota: PERMISSION_DENIED with
 * GKE's message kept verbatim, for the operator to act on) and bad requests will not change by
 * retrying. Outages, throttling and expired tokens (UNAUTHENTICATED: a token file is rewritten by
 * whoever refreshes it) pass, so Temporal retries them with the workflow's policy, as it does
 * errors without a gRPC status (network, credentials lookup).
 */
export function gkeFailure(error: unknown, what: string): ApplicationFailure {
  const code = grpcCode(error);
  const message = `${what}: ${gkeMessage(error)}`;
  const details = code === undefined ? [] : [status[code]];
  if (isBusyCluster(error)) return ApplicationFailure.retryable(message, 'GkeClusterBusy', ...details);
  const type = code === undefined ? undefined : nonRetryableTypes[code];
  if (type) return ApplicationFailure.nonRetryable(message, type, ...details);
  return ApplicationFailure.retryable(message, 'GkeTransient', ...details);
}

/** Runs a GKE call, turning its error into a typed failure that names what was done. */
export async function gke<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw gkeFailure(error, what);
  }
}
