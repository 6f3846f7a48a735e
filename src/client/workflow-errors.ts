import { status as grpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError, ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { conflictError, DomainError, notFoundError } from '../domain/errors.js';

/** Temporal's "not found" and "already closed" answers as the domain's errors, naming the thing. */
export async function forWorkflow<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      if (/already completed|closed/i.test(error.message)) throw conflictError(`${what} has already ended`);
      throw notFoundError(`no ${what}`);
    }
    throw error;
  }
}

/** Signals a workflow that still runs; one that has ended is a conflict naming `what`. */
export async function signalRunning<Args extends unknown[]>(
  client: Client, workflowId: string, what: string, signal: SignalDefinition<Args>, ...args: Args
): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  await forWorkflow(what, async () => {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') throw conflictError(`${what} has already ended (${status.name})`);
    await handle.signal(signal, ...args);
  });
}

const transientCodes: ReadonlySet<number> = new Set([grpcStatus.UNAVAILABLE, grpcStatus.RESOURCE_EXHAUSTED, grpcStatus.DEADLINE_EXCEEDED]);

/**
 * Temporal away or busy, as the domain's UNAVAILABLE: its gRPC UNAVAILABLE, a deadline, or
 * RESOURCE_EXHAUSTED (among others, "limit on number of concurrent in-flight updates": starts
 * waiting on a user's quota while no worker answers it). Undefined for any other error.
 */
export function asTemporalUnavailable(error: unknown): DomainError | undefined {
  const grpc = error instanceof ServiceError && isGrpcServiceError(error.cause) ? error.cause : isGrpcServiceError(error) ? error : undefined;
  if (!grpc || !transientCodes.has(grpc.code)) return undefined;
  return new DomainError('UNAVAILABLE', `Temporal cannot take the request now (${grpc.details || grpc.message}): try again`);
}
