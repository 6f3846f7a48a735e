import { describe, expect, test } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { deleteOwned } from '../../src/activities/kubernetes/owned-objects.js';
import { workflowIdAnnotation } from '../../src/domain/labels.js';

/** As client-node throws them: an ApiException's HTTP code and body. */
const apiError = (code: number): Error => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify({ message: `answered ${code}` }) });
const ours = { metadata: { uid: 'uid-1', annotations: { [workflowIdAnnotation]: 'wf-owner' } } };

/** A call that fails with these codes, in turn, and then answers. */
function failingThen<T>(codes: number[], answer: T): { call: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    call: async () => {
      const code = codes[calls++];
      if (code !== undefined) throw apiError(code);
      return answer;
    },
    calls: () => calls,
  };
}

const environment = () => new MockActivityEnvironment({ workflowExecution: { workflowId: 'wf-owner', runId: 'run-1' } });

describe('deleteOwned', () => {
  test('a read and a delete that fail now and then (429, 5xx) get through within one attempt', async () => {
    const read = failingThen([503, 429], ours);
    const remove = failingThen([500], {});
    await expect(environment().run(() => deleteOwned('role binding ns/rb', read.call, remove.call))).resolves.toBe(true);
    expect([read.calls(), remove.calls()]).toEqual([3, 2]);
  });

  test('trouble that lasts fails the attempt with a retryable failure naming the call', async () => {
    const read = failingThen([503, 503, 503, 503], ours);
    const failure = await environment().run(() => deleteOwned('role binding ns/rb', read.call, async () => ({}))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: false, type: 'KubernetesUnavailable', message: 'read role binding ns/rb: HTTP 503: answered 503' });
    expect(read.calls()).toBe(3);
  });

  test('what will not pass is not tried again, and 404 and 409 are answers', async () => {
    const invalid = failingThen([422], ours);
    await expect(environment().run(() => deleteOwned('role binding ns/rb', invalid.call, async () => ({})))).rejects.toMatchObject({ nonRetryable: true, type: 'KubernetesInvalid' });
    expect(invalid.calls()).toBe(1);
    await expect(environment().run(() => deleteOwned('role binding ns/rb', failingThen([404], ours).call, async () => ({})))).resolves.toBe(false);
    const replaced = failingThen([409], {});
    await expect(environment().run(() => deleteOwned('role binding ns/rb', async () => ours, replaced.call))).resolves.toBe(false);
    expect(replaced.calls()).toBe(1);
  });
});
