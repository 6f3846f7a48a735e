import { describe, expect, test } from '@jest/globals';
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

  test('in an activity, a refusal is retried within a minute of its first attempt (an API server just restarted), then believed', async () => {
    const refusal = apiError(403, 'pods "x" is forbidden: User "u" cannot delete resource "pods"');
    const early = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() - 5_000 });
    expect(await early.run(async () => asFailure(refusal, 'delete pod alice-k/k'))).toMatchObject({ type: 'KubernetesForbidden', nonRetryable: false });
    const late = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() - forbiddenPatienceMs - 1_000 });
    expect(await late.run(async () => asFailure(refusal, 'delete pod alice-k/k'))).toMatchObject({ type: 'KubernetesForbidden', nonRetryable: true });
  });

  test('a network error is retried', () => {
    expect(asFailure(new Error('connect ECONNREFUSED 127.0.0.1:6443'), 'read pod')).toMatchObject({ type: 'KubernetesUnavailable', nonRetryable: false });
  });
});
