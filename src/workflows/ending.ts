import { ApplicationFailure, isCancellation, setHandler, type CancellationScope, type SignalDefinition } from '@temporalio/workflow';
import { failureMessage } from './failure-message.js';

/** A client's request to stop a workflow's work: cancel a Spark job, shut a kernel down (or restart it), destroy a cluster. */
export interface StopRequest {
  reason?: string;
  /** Who asks, shown in the status. */
  by?: string;
}

/** How a stop reads in the status: `<bySignal> by alice: reason`, or `<byTemporal> through Temporal`. */
export interface StopWords {
  bySignal: string;
  byTemporal: string;
}

/** Why the work ended before it was done: stopped (by a client's signal or a Temporal cancel) or failed. */
export interface Interruption {
  stopped: boolean;
  /** For the status: who stopped it and why, or what failed. */
  error: string;
  /** A Temporal cancel, to rethrow once the cleanup is done. */
  cancellation?: Error;
}

export interface StopSignal {
  /** Who stopped the work and why, once a client has. */
  requestedBy(): string | undefined;
  /** What the error that ended the work means for the workflow's ending. */
  interruption(error: unknown): Interruption;
}

/**
 * Handles a workflow's stop signal: the first request cancels `work` and is remembered, unless
 * `over` says the work has already ended.
 */
export function handleStopSignal(signal: SignalDefinition<[StopRequest]>, work: CancellationScope, words: StopWords, over: () => boolean = () => false): StopSignal {
  let stoppedBy: string | undefined;
  setHandler(signal, ({ reason, by }) => {
    if (stoppedBy !== undefined || over()) return;
    stoppedBy = `${words.bySignal} by ${by ?? 'a client'}${reason ? `: ${reason}` : ''}`;
    work.cancel();
  });
  return {
    requestedBy: () => stoppedBy,
    interruption(error) {
      if (!isCancellation(error)) return { stopped: false, error: failureMessage(error) };
      // A client's stop is the workflow's own ending; a Temporal cancel must also end the execution as Canceled.
      return stoppedBy !== undefined ? { stopped: true, error: stoppedBy } : { stopped: true, error: `${words.byTemporal} through Temporal`, cancellation: error as Error };
    },
  };
}

/**
 * The workflow's result once its cleanup is done. A Temporal cancel ends the execution as Canceled
 * and a failure as Failed, with the status as details, so operators can filter on ExecutionStatus;
 * the status query answers in every case.
 */
export function settle<S extends { phase: string; error?: string }>(status: S, cancellation: Error | undefined, failure: { type: string; otherwise: string }): S {
  if (cancellation) throw cancellation;
  if (status.phase === 'FAILED') throw ApplicationFailure.nonRetryable(status.error ?? failure.otherwise, failure.type, status);
  return status;
}
