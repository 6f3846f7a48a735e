import { describe, expect, test } from '@jest/globals';
import { buildListQuery } from '../../src/domain/visibility-query.js';

describe('buildListQuery', () => {
  test('is empty without filters', () => {
    expect(buildListQuery({})).toBe('');
  });

  test('joins search attribute filters as an operator would type them in the Web UI', () => {
    expect(buildListQuery({ user: 'alice', kind: 'spark-job', status: 'running' }))
      .toBe('DssUser="alice" AND ComputeKind="spark-job" AND ExecutionStatus="Running"');
    expect(buildListQuery({ namespace: 'dss-ns-alice', cluster: 'local' })).toBe('K8sNamespace="dss-ns-alice" AND ClusterName="local"');
    expect(buildListQuery({ kind: 'kernel', taskQueue: 'compute-orchestrator' })).toBe('ComputeKind="kernel" AND TaskQueue="compute-orchestrator"');
  });

  test('escapes quotes and backslashes so a value cannot change the query', () => {
    expect(buildListQuery({ user: 'a" OR DssUser="b\\' })).toBe('DssUser="a\\" OR DssUser=\\"b\\\\"');
  });

  test('refuses an unknown status, naming the allowed ones', () => {
    expect(() => buildListQuery({ status: 'finished' })).toThrow(/status must be one of Running, Completed/);
  });
});
