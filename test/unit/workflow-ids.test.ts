import { describe, expect, test } from '@jest/globals';
import {
  checkClientId, clusterWorkflowId, computeIdOf, kernelWorkflowId, parseWorkflowId, sparkJobWorkflowId, userQuotaWorkflowId,
} from '../../src/domain/workflow-ids.js';
import { domainFailure } from '../support/domain-errors.js';

describe('workflow ids and their inverse', () => {
  test('each id parses back to what it names', () => {
    expect(parseWorkflowId(sparkJobWorkflowId('job-1'))).toEqual({ kind: 'spark-job', id: 'job-1' });
    expect(parseWorkflowId(kernelWorkflowId('k.1'))).toEqual({ kind: 'kernel', id: 'k.1' });
    expect(parseWorkflowId(clusterWorkflowId('gke-a'))).toEqual({ kind: 'cluster', id: 'gke-a' });
    expect(parseWorkflowId(userQuotaWorkflowId('kernel', 'bob'))).toEqual({ kind: 'quota', of: 'kernel', user: 'bob' });
    expect(parseWorkflowId(userQuotaWorkflowId('spark-job', 'alice'))).toEqual({ kind: 'quota', of: 'spark-job', user: 'alice' });
  });

  test("ids the orchestrator does not give are nobody's", () => {
    expect(parseWorkflowId('janitor')).toBeUndefined();
    expect(parseWorkflowId('kernel-')).toBeUndefined();
    expect(computeIdOf('kernel', sparkJobWorkflowId('x'))).toBeUndefined();
    expect(computeIdOf('kernel', userQuotaWorkflowId('kernel', 'bob'))).toBeUndefined();
    expect(computeIdOf('cluster', clusterWorkflowId('quota-ish'))).toBe('quota-ish');
  });

  test("a job or kernel id that would be a user's quota is refused, naming the field", () => {
    expect(domainFailure(() => checkClientId('kernelId', 'quota-bob'))).toMatchObject({
      code: 'VALIDATION', field: 'kernelId', message: "kernelId must not start with 'quota-': such ids are the user quotas' own",
    });
    expect(() => checkClientId('jobId', 'my-quota-job')).not.toThrow();
  });
});
