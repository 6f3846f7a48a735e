import type { Context } from '@temporalio/activity';

/*
 * Waiting inside an activity without keeping anything once the wait is over. The SDK's
 * Context.sleep, like racing Context.cancelled, attaches a reaction to the activity's `cancelled`
 * promise at every call, kept until the activity ends: ~1.3 KB a call, so a pod watch that looks
 * every 5 s held ~1 MB more each hour, and thousands of idle kernels gigabytes (BENCHMARKS.md).
 * These listen to the cancellation signal only while they wait.
 */

/** Settles as `promise` does, or rejects with the activity's cancellation as soon as it comes. */
export function unlessCancelled<T>(context: Context, promise: Promise<T>): Promise<T> {
  const signal = context.cancellationSignal;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const cancelled = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', cancelled, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', cancelled));
  });
}

/** Waits `ms`, cut short by the activity's cancellation (rejecting with it). */
export function pause(context: Context, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return unlessCancelled(context, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))).finally(() => clearTimeout(timer));
}

/**
 * Heartbeats every `everyMs` until `ending` settles (as it does) or the activity is cancelled:
 * one wait for the whole life of a long activity, not one per heartbeat.
 */
export async function heartbeatUntil<T>(context: Context, ending: Promise<T>, everyMs: number): Promise<T> {
  context.heartbeat();
  const beating = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await unlessCancelled(context, ending);
  } finally {
    clearInterval(beating);
  }
}
