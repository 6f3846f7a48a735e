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
