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
