import { ApplicationFailure } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './logger.js';

interface Backoff {
  /** Whether this failure may pass by itself. */
  passes: (error: unknown) => boolean;
  /** Said before each wait. */
  message: string;
  /** No retry past this (epoch ms). */
  deadline: number;
  signal?: AbortSignal;
}

/** `work` until it succeeds, waiting 0.5 s, then twice as long each time (10 s at most), while its failures may pass. */
async function withBackoff<T>(work: () => Promise<T>, logger: Logger, { passes, message, deadline, signal }: Backoff): Promise<T> {
  for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 10_000)) {
    signal?.throwIfAborted();
    try {
      return await work();
    } catch (error) {
      if (!passes(error) || Date.now() + delayMs > deadline) throw error;
      logger.warn({ err: error, retryInMs: delayMs }, message);
      await sleep(delayMs, undefined, { signal });
    }
  }
}

/**
 * A process's start-up step against a service that may be briefly busy or away (an API server
 * answering 503, a restart in progress): retried with backoff for up to `budgetMs` while its
 * failure is retryable; a refusal (non-retryable failure, or any other error) stops at once, and
 * so does `signal` (the process is stopping).
 */
export async function retryTransient<T>(what: string, work: () => Promise<T>, logger: Logger, budgetMs = 120_000, signal?: AbortSignal): Promise<T> {
  return await withBackoff(work, logger, {
    passes: (error) => error instanceof ApplicationFailure && !error.nonRetryable,
    message: `${what}: transient failure at start-up; trying again`, deadline: Date.now() + budgetMs, signal,
  });
}

/** Temporal not reachable: the client's "Failed to connect before the deadline", the worker's native TransportError. */
function isUnreachable(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TransportError' || /Failed to connect before the deadline/.test(error.message));
}

/**
 * Connects to a service that may be restarting: while it cannot be reached, tried again with
 * backoff for as long as it takes (each attempt logged), so that a process started during
 * Temporal's restart waits for it rather than exiting. Any other failure (TLS files, a refusal)
 * stops at once, and so does `signal`.
 */
export async function untilReachable<T>(what: string, connect: () => Promise<T>, logger: Logger, signal?: AbortSignal): Promise<T> {
  return await withBackoff(connect, logger, { passes: isUnreachable, message: `${what} cannot be reached; trying again`, deadline: Infinity, signal });
}
