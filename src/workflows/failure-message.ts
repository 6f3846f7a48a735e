import { TimeoutFailure } from '@temporalio/workflow';

/**
 * The sentence a person needs from a failure chain: activity failures wrap the activity's own
 * ApplicationFailure, whose message is the useful one.
 */
export function failureMessage(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  let message = current?.message ?? String(error);
  while (current?.cause) {
    current = current.cause;
    if (current.message) message = current.message;
  }
  return message;
}

/** The first ApplicationFailure type on a failure chain, outermost first: what went wrong, by kind. */
export function failureType(error: unknown): string | undefined {
  for (let current = error as { type?: string; cause?: unknown } | undefined; current; current = current.cause as typeof current) {
    if (current.type) return current.type;
  }
  return undefined;
}

/** `failureMessage` on one line of at most `maxLength` characters, for a reason kept in state and shown to clients. */
export function shortFailureMessage(error: unknown, maxLength: number): string {
  const line = failureMessage(error).split('\n', 1)[0] ?? '';
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}

/**
 * Whether a timeout is on the failure chain. Where, depends: a local activity's timeout surfaces as
 * an ActivityFailure caused by a TimeoutFailure when it happens, and as the bare TimeoutFailure
 * when its marker is replayed; state derived from it must be the same both ways.
 */
export function timedOut(error: unknown): boolean {
  for (let current = error as { cause?: unknown } | undefined; current; current = current.cause as typeof current) {
    if (current instanceof TimeoutFailure) return true;
  }
  return false;
}
