import { describe, expect, test } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { pino } from 'pino';
import { retryTransient } from '../../src/startup-retry.js';

const silent = pino({ level: 'silent' });

describe('retryTransient', () => {
  test('tries a transient failure again until it passes', async () => {
    let calls = 0;
    const result = await retryTransient('step', async () => {
      calls++;
      if (calls < 3) throw ApplicationFailure.retryable('HTTP 503', 'KubernetesUnavailable');
      return 'done';
    }, silent);
    expect({ result, calls }).toEqual({ result: 'done', calls: 3 });
  });

  test('stops at once on a refusal or an unexpected error', async () => {
    let calls = 0;
    await expect(retryTransient('step', async () => {
      calls++;
      throw ApplicationFailure.nonRetryable('forbidden', 'KubernetesForbidden');
    }, silent)).rejects.toMatchObject({ type: 'KubernetesForbidden' });
    await expect(retryTransient('step', async () => {
      calls++;
      throw new TypeError('bug');
    }, silent)).rejects.toThrow('bug');
    expect(calls).toBe(2);
  });

  test('gives up when the budget is spent', async () => {
    let calls = 0;
    await expect(retryTransient('step', async () => {
      calls++;
      throw ApplicationFailure.retryable('HTTP 503', 'KubernetesUnavailable');
    }, silent, 1_200)).rejects.toMatchObject({ type: 'KubernetesUnavailable' });
    expect(calls).toBe(2);
  });
});
