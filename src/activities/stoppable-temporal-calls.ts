import type { Connection } from '@temporalio/client';
import { setMaxListeners } from 'node:events';

/**
 * Runs `work`'s Temporal calls so that `stop` cancels those under way: for a worker's own
 * background calls, which no activity's cancellation ends. Each run listens to `stop` only while it
 * lasts, under a signal of its own. The SDK adds an abort listener for every call made under a
 * signal and never removes it, so calls made under `stop` itself would each stay in memory for as
 * long as the worker runs.
 */
export async function callTemporalUntilStopped<T>(stop: AbortSignal, connection: Pick<Connection, 'withAbortSignal'>, work: () => Promise<T>): Promise<T> {
  // A call made under a signal already aborted is not cancelled: the SDK only listens for the abort.
  stop.throwIfAborted();
  const run = new AbortController();
  // One listener per call of this run, all dropped with it.
  setMaxListeners(0, run.signal);
  const abort = (): void => run.abort(stop.reason);
  stop.addEventListener('abort', abort, { once: true });
  try {
    return await connection.withAbortSignal(run.signal, work);
  } finally {
    stop.removeEventListener('abort', abort);
  }
}
