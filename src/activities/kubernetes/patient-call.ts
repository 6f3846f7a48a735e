import { setTimeout as sleep } from 'node:timers/promises';
import { asFailure, mayPass, statusOf } from './api-errors.js';

/** Tries of one call that fails in a way that may pass (429, 5xx, network), within one attempt. */
const callTries = 3;
const callRetryMs = 300;

/**
 * One Kubernetes call, tried again at once when its failure may pass: an attempt of a few calls
 * then fails only for trouble that lasts. Failing the attempt at each such failure left a
 * kernel's cleanup, under 30 % API errors, waiting out eight retry backoffs (over two minutes)
 * for one role binding (faults.test.ts). The statuses in `answers` (404 when absence is an
 * answer, 409 for a create that finds the name taken) come back as they were thrown; every other
 * failure typed (asFailure).
 */
export async function callPatiently<T>(what: string, call: () => Promise<T>, answers: readonly number[]): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await call();
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && answers.includes(status)) throw error;
      const failure = asFailure(error, what);
      if (!mayPass(failure) || tries >= callTries) throw failure;
    }
    await sleep(callRetryMs * tries);
  }
}
