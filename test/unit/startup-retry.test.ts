import { describe, expect, test } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { pino } from 'pino';
import { NativeConnection } from '@temporalio/worker';
import { freePort } from '../../src/local/ports.js';
import { retryTransient, untilReachable } from '../../src/startup-retry.js';

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

describe('untilReachable', () => {
  test('tries again while Temporal cannot be reached (the real worker connection refused), stops at once on anything else', async () => {
    const port = await freePort();
    const refused = await NativeConnection.connect({ address: `127.0.0.1:${port}` }).then(() => undefined, (error: unknown) => error);
    expect(refused).toMatchObject({ name: 'TransportError' });
    let calls = 0;
    const connected = await untilReachable('Temporal', async () => {
      calls++;
      if (calls < 3) throw refused;
      return 'connected';
    }, silent);
    expect({ connected, calls }).toEqual({ connected: 'connected', calls: 3 });
    await expect(untilReachable('Temporal', () => Promise.reject(new Error('cannot read the TLS key')), silent)).rejects.toThrow('cannot read the TLS key');
  });

  test('stops when its signal is aborted', async () => {
    const stopping = new AbortController();
    const waiting = untilReachable('Temporal', () => Promise.reject(Object.assign(new Error('refused'), { name: 'TransportError' })), silent, stopping.signal);
    stopping.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});
