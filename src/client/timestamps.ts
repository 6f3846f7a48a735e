/** Milliseconds since the epoch of a Temporal API timestamp (seconds may be a Long); 0 when absent. */
export function timestampMillis(timestamp: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!timestamp) return 0;
  return Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}
