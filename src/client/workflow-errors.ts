import { WorkflowNotFoundError } from '@temporalio/client';
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
