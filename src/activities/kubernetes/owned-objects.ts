import type { V1Preconditions } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { workflowIdAnnotation } from '../../domain/labels.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { asFailure, isConflict, isNotFound, mayPass } from './api-errors.js';

interface Metadata {
  metadata?: { uid?: string; annotations?: Record<string, string> };
}

/** Tries of one call that fails in a way that may pass (429, 5xx, network), within one attempt. */
const callTries = 3;
const callRetryMs = 300;

/**
 * One call of a create or a delete, tried again at once when its failure may pass: an attempt of
 * two calls fails only for trouble that lasts. Failing it at each such failure left a kernel's
 * cleanup, under 30 % API errors, waiting out eight retry backoffs (over two minutes) for one role
 * binding (faults.test.ts). 404 and 409, which the callers read as answers, come back as they are;
 * other failures typed (asFailure).
 */
async function callPatiently<T>(what: string, call: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await call();
    } catch (error) {
      if (isNotFound(error) || isConflict(error)) throw error;
      const failure = asFailure(error, what);
      if (!mayPass(failure) || tries >= callTries) throw failure;
    }
    await sleep(callRetryMs * tries);
  }
}

/** A failure of callPatiently as a typed one: the 404 and 409 it passes on are still raw. */
const typed = (error: unknown, what: string): Error => (error instanceof ApplicationFailure ? error : asFailure(error, what));

/**
 * Create-if-absent for an object owned by one workflow: a second attempt finds the first one's
 * object; an object of the same name that someone else owns is never adopted.
 */
export async function createOwned<T extends Metadata>(
  what: string, workflowId: string, create: () => Promise<T>, read: () => Promise<T>,
): Promise<T> {
  try {
    return await callPatiently(`create ${what}`, create);
  } catch (error) {
    if (!isConflict(error)) throw typed(error, `create ${what}`);
  }
  const existing = await callPatiently(`read ${what}`, read).catch((error: unknown) => {
    throw typed(error, `read ${what}`);
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
    existing = await callPatiently(`read ${what}`, read);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw typed(error, `read ${what}`);
  }
  const owner = existing.metadata?.annotations?.[workflowIdAnnotation];
  if (owner === undefined || owner !== workflowId) {
    context.log.warn('left an object that is not ours in place', { object: what, owner: owner ?? 'none' });
    return false;
  }
  try {
    await callPatiently(`delete ${what}`, () => remove({ uid: existing.metadata?.uid }));
    return true;
  } catch (error) {
    // 409: the uid no longer matches; the object read is gone, replaced by someone else's.
    if (isNotFound(error) || isConflict(error)) return false;
    throw typed(error, `delete ${what}`);
  }
}
