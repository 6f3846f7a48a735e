import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { conflictError, notFoundError } from '../domain/errors.js';

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
