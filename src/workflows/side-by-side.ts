/**
 * Runs calls side by side and fails with the first failure once all have settled: a call still
 * in flight when the cleanup starts could create what the cleanup has just deleted.
 */
export async function allSettled(calls: Array<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(calls)).find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
