import { describe, expect, test } from '@jest/globals';
import { objectsToRemove, type LabelledObject } from '../../src/domain/janitor.js';

const now = 1_000_000;
const grace = 60_000;
const old = now - 2 * grace;
const object = (overrides: Partial<LabelledObject>): LabelledObject => ({
  kind: 'ServiceAccount', namespace: 'dss-ns-alice', name: 'spark-a', workflowId: 'spark-job-a', computeKind: 'spark-job', createdNamespace: false, createdAt: old, ...overrides,
});
const names = (objects: LabelledObject[]): string[] => objects.map((item) => `${item.kind} ${item.name}`);

describe('objectsToRemove', () => {
  test('removes the objects of closed and vanished workflows, pods first and namespaces last', () => {
    const objects = [
      object({ kind: 'Namespace', namespace: undefined, name: 'alice-k1', workflowId: 'kernel-k1', computeKind: 'kernel', createdNamespace: true }),
      object({ kind: 'ServiceAccount', name: 'spark-a' }),
      object({ kind: 'RoleBinding', name: 'spark-a' }),
      object({ kind: 'Pod', name: 'spark-a-driver' }),
      object({ kind: 'Pod', name: 'k2', workflowId: 'kernel-k2', computeKind: 'kernel' }),
    ];
    expect(names(objectsToRemove(objects, { 'spark-job-a': 'closed', 'kernel-k1': 'closed', 'kernel-k2': 'missing' }, now, grace)))
      .toEqual(['Pod spark-a-driver', 'Pod k2', 'RoleBinding spark-a', 'ServiceAccount spark-a', 'Namespace alice-k1']);
  });

  test('never touches running work, young objects, or objects without our workflow annotation', () => {
    const objects = [
      object({ name: 'running' }),
      object({ name: 'young', workflowId: 'spark-job-b', createdAt: now - grace + 1 }),
      object({ name: 'unannotated', workflowId: undefined }),
    ];
    expect(objectsToRemove(objects, { 'spark-job-a': 'running', 'spark-job-b': 'closed' }, now, grace)).toEqual([]);
  });

  test('keeps shared Spark namespaces, namespaces not created by us, and a kernel namespace still holding running work', () => {
    const objects = [
      object({ kind: 'Namespace', namespace: undefined, name: 'dss-ns-alice', createdNamespace: true }),
      object({ kind: 'Namespace', namespace: undefined, name: 'team-ns', workflowId: 'kernel-k1', computeKind: 'kernel', createdNamespace: false }),
      object({ kind: 'Namespace', namespace: undefined, name: 'alice-k2', workflowId: 'kernel-k2', computeKind: 'kernel', createdNamespace: true }),
      object({ kind: 'Pod', namespace: 'alice-k2', name: 'other', workflowId: 'kernel-k3', computeKind: 'kernel' }),
    ];
    expect(objectsToRemove(objects, { 'spark-job-a': 'closed', 'kernel-k1': 'closed', 'kernel-k2': 'closed', 'kernel-k3': 'running' }, now, grace)).toEqual([]);
  });
});
