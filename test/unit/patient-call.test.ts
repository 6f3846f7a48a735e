import { describe, expect, test } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { callPatiently } from '../../src/activities/kubernetes/patient-call.js';

/** As client-node throws them: an ApiException's HTTP code and body. */
const apiError = (code: number): Error => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify({ message: `answered ${code}` }) });

/** A call that fails with these codes, in turn, and then answers. */
function failingThen(codes: number[]): { call: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    call: async () => {
      const code = codes[calls++];
      if (code !== undefined) throw apiError(code);
      return 'answer';
    },
    calls: () => calls,
  };
}

describe('callPatiently', () => {
  test('failures that may pass (429, 5xx) are tried again within the call', async () => {
    const flaky = failingThen([429, 503]);
    await expect(callPatiently('request a token for ns/sa', flaky.call, [])).resolves.toBe('answer');
    expect(flaky.calls()).toBe(3);
  });

  test('trouble that lasts ends in a retryable failure naming the call, after three tries', async () => {
    const down = failingThen([500, 500, 500, 500]);
    const failure = await callPatiently('request a token for ns/sa', down.call, []).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: false, type: 'KubernetesUnavailable', message: 'request a token for ns/sa: HTTP 500: answered 500' });
    expect(down.calls()).toBe(3);
  });

  test("a status the caller reads as an answer comes back raw at once; without it, it is a typed failure", async () => {
    const absent = failingThen([404]);
    await expect(callPatiently('read pod ns/p', absent.call, [404])).rejects.toMatchObject({ code: 404 });
    expect(absent.calls()).toBe(1);
    const invalid = failingThen([422]);
    await expect(callPatiently('read pod ns/p', invalid.call, [404])).rejects.toMatchObject({ nonRetryable: true, type: 'KubernetesInvalid' });
    expect(invalid.calls()).toBe(1);
  });
});
