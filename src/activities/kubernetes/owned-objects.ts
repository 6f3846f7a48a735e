import type { V1Preconditions } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { workflowIdAnnotation } from '../../domain/labels.js';
import { asFailure, isConflict, isNotFound } from './api-errors.js';
import { callPatiently } from './patient-call.js';

interface Metadata {
  metadata?: { uid?: string; annotations?: Record<string, string> };
}

/**
 * Create-if-absent for an object owned by one workflow: a second attempt finds the first one's
 * object; an object of the same name that someone else owns is never adopted.
 */
export async function createOwned<T extends Metadata>(
  what: string, workflowId: string, create: () => Promise<T>, read: () => Promise<T>,
): Promise<T> {
  try {
    return await callPatiently(`create ${what}`, create, [409]);
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  const existing = await callPatiently(`read ${what}`, read, []);
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

/**
 * Deletes the object only if the workflow running this activity owns it, and only the very object
 * read (a uid precondition). A cleanup deletes what its workflow may have created: after a create
 * refused because someone else's object has the name (a kernel id that spells an existing
 * namespace, a second kernel's binding in a shared one), or one that may never have happened,
 * the object there is not ours and stays. Returns whether it was ours (and so is going).
 */
export async function deleteOwned(
  what: string, read: () => Promise<Metadata>, remove: (preconditions: V1Preconditions) => Promise<unknown>,
): Promise<boolean> {
  const context = Context.current();
  const workflowId = context.info.workflowExecution?.workflowId;
  let existing: Metadata;
  try {
    existing = await callPatiently(`read ${what}`, read, [404]);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  const owner = existing.metadata?.annotations?.[workflowIdAnnotation];
  if (owner === undefined || owner !== workflowId) {
    context.log.warn('left an object that is not ours in place', { object: what, owner: owner ?? 'none' });
    return false;
  }
  try {
    await callPatiently(`delete ${what}`, () => remove({ uid: existing.metadata?.uid }), [404, 409]);
    return true;
  } catch (error) {
    // 409: the uid no longer matches; the object read is gone, replaced by someone else's.
    if (isNotFound(error) || isConflict(error)) return false;
    throw error;
  }
}
