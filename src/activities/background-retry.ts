const firstDelaysMs = [1_000, 2_000, 5_000, 10_000];
const longestDelayMs = 30_000;

/**
 * How long a worker's background work (a broken watch, a report Temporal did not take) waits
 * before its next try, after `failures` failed tries in a row: soon for a blip, at most 30 s for
 * an API server or a Temporal away for a while.
 */
export function backgroundRetryDelayMs(failures: number): number {
  return firstDelaysMs[Math.max(failures, 1) - 1] ?? longestDelayMs;
}
