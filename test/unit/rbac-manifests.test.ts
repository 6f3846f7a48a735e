import { describe, expect, test } from '@jest/globals';
import type { KubernetesObject, V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSeq, parseAllDocuments } from 'yaml';
import { managedByLabel } from '../../src/domain/labels.js';
import { rbacManifests, rbacManifestsDir, workloadClusterRoleNames, workloadClusterRoles } from '../../src/rbac-manifests.js';

const objects = rbacManifests();
const find = <T extends KubernetesObject>(kind: string, name: string): T => {
  const found = objects.find((object) => object.kind === kind && object.metadata?.name === name);
  if (!found) throw new Error(`deploy/rbac has no ${kind} ${name}`);
  return found as T;
};
const orchestratorRole = find<V1ClusterRole>('ClusterRole', 'compute-orchestrator');
const allRules = (objects.filter((object) => object.kind === 'ClusterRole') as V1ClusterRole[]).flatMap((role) => role.rules ?? []);
const grants = (rule: V1PolicyRule, verb: string, resource: string): boolean => rule.verbs.includes(verb) && (rule.resources ?? []).includes(resource);

describe('deploy/rbac', () => {
  test('holds the orchestrator\'s namespace, account, role and binding, and the roles it binds', () => {
    expect(objects.map((object) => `${object.kind}/${object.metadata?.name}`)).toEqual([
      'Namespace/compute-orchestrator',
      'ServiceAccount/compute-orchestrator',
      'ClusterRole/compute-orchestrator',
      'ClusterRoleBinding/compute-orchestrator',
      ...workloadClusterRoleNames.map((name) => `ClusterRole/${name}`),
    ]);
    expect(workloadClusterRoles().map((role) => role.metadata?.name)).toEqual([...workloadClusterRoleNames]);
  });

  test("no rule has a wildcard, none lets anyone escalate or impersonate, and only the kernel connections' role reaches secrets", () => {
    expect(allRules.length).toBeGreaterThan(0);
    const connectionsRole = (objects.filter((object) => object.kind === 'ClusterRole') as V1ClusterRole[])
      .find((role) => role.metadata?.name === 'compute-orchestrator-kernel-connections');
    expect(connectionsRole?.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update'] }]);
    for (const rule of allRules) {
      for (const value of [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.resourceNames ?? []), ...rule.verbs]) expect(value).not.toContain('*');
      expect(rule.nonResourceURLs).toBeUndefined();
      if (!connectionsRole?.rules?.includes(rule)) expect(rule.resources).not.toContain('secrets');
      expect(rule.verbs).not.toEqual(expect.arrayContaining(['escalate']));
      expect(rule.verbs).not.toEqual(expect.arrayContaining(['impersonate']));
    }
  });

  test('the orchestrator may bind and read only its two roles, and write no ClusterRole or ClusterRoleBinding', () => {
    const rules = orchestratorRole.rules ?? [];
    const onClusterRoles = rules.filter((rule) => (rule.resources ?? []).includes('clusterroles'));
    expect(onClusterRoles).toEqual([{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: [...workloadClusterRoleNames], verbs: ['get', 'bind'] }]);
    expect(rules.filter((rule) => rule.verbs.includes('bind'))).toEqual(onClusterRoles);
    for (const verb of ['create', 'update', 'patch', 'delete']) {
      expect(rules.filter((rule) => grants(rule, verb, 'clusterroles') || grants(rule, verb, 'clusterrolebindings'))).toEqual([]);
    }
  });

  test('the binding gives the orchestrator\'s role to its account, and nothing else', () => {
    const account = find('ServiceAccount', 'compute-orchestrator');
    const binding = find<V1ClusterRoleBinding>('ClusterRoleBinding', 'compute-orchestrator');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'compute-orchestrator' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata?.name, namespace: account.metadata?.namespace }]);
  });

  test('the roles the orchestrator binds grant nothing on RBAC or cluster-scoped objects', () => {
    for (const rule of workloadClusterRoles().flatMap((role) => role.rules ?? [])) {
      expect(rule.apiGroups).toEqual(['']);
      for (const resource of rule.resources ?? []) expect(['pods', 'pods/log', 'services', 'configmaps', 'persistentvolumeclaims', 'secrets']).toContain(resource);
    }
  });

  test('no object carries the managed-by mark, which tells the janitor it may delete it', () => {
    for (const object of objects) expect(Object.keys(object.metadata?.labels ?? {})).not.toContain(managedByLabel);
  });

  test('every rule of the orchestrator\'s role says why it exists', () => {
    const documents = parseAllDocuments(readFileSync(join(rbacManifestsDir, 'orchestrator.yaml'), 'utf8'));
    const document = documents.find((candidate) => candidate.get('kind') === 'ClusterRole');
    const rules = document?.get('rules', true);
    if (!isSeq(rules)) throw new Error('the orchestrator\'s ClusterRole has no list of rules');
    // The comment before the first item belongs to the list.
    const comments = rules.items.map((item, index) => (index === 0 ? rules.commentBefore : (item as { commentBefore?: string }).commentBefore));
    expect(comments.filter((comment) => !comment?.trim())).toEqual([]);
    expect(comments).toHaveLength(orchestratorRole.rules?.length ?? 0);
  });
});
