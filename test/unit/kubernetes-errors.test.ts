import { describe, expect, jest, test } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { asFailure, forbiddenPatienceMs } from '../../src/activities/kubernetes/api-errors.js';

const apiError = (code: number, message: string) => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify({ kind: 'Status', message, code }) });

describe('asFailure: Kubernetes errors as typed failures', () => {
  test.each([
    [403, 'pods "x" is forbidden: User "u" cannot create resource "pods"', 'KubernetesForbidden', true],
    [422, 'Pod "x" is invalid: spec.containers[0].image: Required value', 'KubernetesInvalid', true],
    [400, 'bad request', 'KubernetesInvalid', true],
    [503, 'the server is currently unable to handle the request', 'KubernetesUnavailable', false],
    [429, 'too many requests', 'KubernetesUnavailable', false],
    [403, 'pods "k" is forbidden: error looking up service account alice-k/default: serviceaccount "default" not found', 'KubernetesUnavailable', false],
  ])('HTTP %i %j → %s (non-retryable: %s)', (code, message, type, nonRetryable) => {
    const failure = asFailure(apiError(code, message), 'create pod alice-k/k');
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type, nonRetryable });
    expect(failure.message).toContain('create pod alice-k/k');
    expect(failure.message).toContain(message);
  });

  test("in an activity, a refusal is retried for a minute after this worker first met it, however long the activity had been trying before; then believed", async () => {
    const refusal = apiError(403, 'namespaces is forbidden: User "u" cannot create resource "namespaces"');
    // Trying for ten minutes already (an outage), when the restarted API server's first 403 comes.
    const activity = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() - 600_000 });
    const failureAt = (at: number) => {
      jest.spyOn(Date, 'now').mockReturnValue(at);
      return activity.run(async () => asFailure(refusal, 'create namespace alice-k'));
    };
    const first = Date.now();
    try {
      expect(await failureAt(first)).toMatchObject({ type: 'KubernetesForbidden', nonRetryable: false });
      expect(await failureAt(first + forbiddenPatienceMs - 1_000)).toMatchObject({ nonRetryable: false });
      // Another call's refusal has a patience of its own.
      jest.spyOn(Date, 'now').mockReturnValue(first + forbiddenPatienceMs);
      expect(await activity.run(async () => asFailure(refusal, 'create namespace bob-k'))).toMatchObject({ nonRetryable: false });
      expect(await failureAt(first + forbiddenPatienceMs + 1_000)).toMatchObject({ type: 'KubernetesForbidden', nonRetryable: true });
      // Met again long after, it is a new refusal: perhaps another restart.
      expect(await failureAt(first + 10 * forbiddenPatienceMs)).toMatchObject({ nonRetryable: false });
    } finally {
      jest.restoreAllMocks();
    }
  });

  test('a network error is retried', () => {
    expect(asFailure(new Error('connect ECONNREFUSED 127.0.0.1:6443'), 'read pod')).toMatchObject({ type: 'KubernetesUnavailable', nonRetryable: false });
  });
});
