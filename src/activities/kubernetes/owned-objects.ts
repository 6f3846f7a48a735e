import { ApplicationFailure } from '@temporalio/common';
import { workflowIdAnnotation } from '../../domain/labels.js';
import { asFailure, isConflict, isNotFound } from './api-errors.js';

interface Metadata {
  metadata?: { annotations?: Record<string, string> };
}

/**
 * Create-if-absent for an object owned by one workflow: a second attempt finds the first one's
 * object; an object of the same name that someone else owns is never adopted.
 */
export async function createOwned<T extends Metadata>(
  what: string, workflowId: string, create: () => Promise<T>, read: () => Promise<T>,
): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (!isConflict(error)) throw asFailure(error, `create ${what}`);
  }
  const existing = await read().catch((error: unknown) => {
    throw asFailure(error, `read ${what}`);
  });
  const owner = existing.metadata?.annotations?.[workflowIdAnnotation];
  if (owner !== workflowId) {
    throw ApplicationFailure.nonRetryable(`${what} already exists and belongs to ${owner ? `workflow ${owner}` : 'someone else'}`, 'NameTaken');
  }
  return existing;
}

/** Delete treating "already gone" as done. */
export async function deleteIfPresent(what: string, remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!isNotFound(error)) throw asFailure(error, `delete ${what}`);
  }
}
