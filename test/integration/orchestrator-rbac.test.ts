import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AuthenticationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1ClusterRole } from '@kubernetes/client-node';
import { applyManifests } from '../../src/local/control-plane/orchestrator-identity.js';
import { rbacManifests, workloadClusterRoleNames } from '../../src/rbac-manifests.js';
import { adminKubeConfig, statusOf, uniqueName } from './stack/kube.js';
import { readStackInfo } from './stack/stack-info.js';

const admin = adminKubeConfig();
const adminRbac = admin.makeApiClient(RbacAuthorizationV1Api);
/** The credential every worker of the test run has (stack.json's workerKubeconfig). */
const orchestrator = new KubeConfig();
orchestrator.loadFromFile(readStackInfo().workerKubeconfig);
const core = orchestrator.makeApiClient(CoreV1Api);
const rbac = orchestrator.makeApiClient(RbacAuthorizationV1Api);

const bindingTo = (namespace: string, clusterRole: string, account: string) => ({
  namespace,
  body: {
    metadata: { name: uniqueName('binding') },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
  },
});

describe("the orchestrator's own credential: deploy/rbac's least privilege", () => {
  const userNamespace = uniqueName('user');
  beforeAll(async () => {
    const adminCore = admin.makeApiClient(CoreV1Api);
    await adminCore.createNamespace({ body: { metadata: { name: userNamespace } } });
    await adminCore.createNamespacedSecret({ namespace: userNamespace, body: { metadata: { name: 'warehouse-password' }, stringData: { password: 'hunter2' } } });
  });
  afterAll(() => admin.makeApiClient(CoreV1Api).deleteNamespace({ name: userNamespace }));

  test("is the orchestrator's service account, not an administrator", async () => {
    const review = await orchestrator.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe('system:serviceaccount:compute-orchestrator:compute-orchestrator');
    expect(review.status?.userInfo?.groups).not.toContain('system:masters');
  });

  test("cannot read secrets in a user's namespace", async () => {
    expect(await statusOf(core.readNamespacedSecret({ name: 'warehouse-password', namespace: userNamespace }))).toBe(403);
    expect(await statusOf(core.listNamespacedSecret({ namespace: userNamespace }))).toBe(403);
    expect(await statusOf(core.listSecretForAllNamespaces())).toBe(403);
  });

  test('cannot bind cluster-admin or any other role than its two, nor write ClusterRoles or ClusterRoleBindings', async () => {
    for (const role of ['cluster-admin', 'admin', 'edit']) {
      expect(await statusOf(rbac.createNamespacedRoleBinding(bindingTo(userNamespace, role, 'default')))).toBe(403);
    }
    const wide: V1ClusterRole = { metadata: { name: uniqueName('wide') }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] };
    expect(await statusOf(rbac.createClusterRole({ body: wide }))).toBe(403);
    const own = await adminRbac.readClusterRole({ name: 'compute-orchestrator' });
    expect(await statusOf(rbac.replaceClusterRole({ name: 'compute-orchestrator', body: { ...own, rules: [...own.rules ?? [], ...wide.rules!] } }))).toBe(403);
    expect(await statusOf(rbac.createClusterRoleBinding({
      body: { metadata: { name: uniqueName('promote') }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'compute-orchestrator', namespace: 'compute-orchestrator' }] },
    }))).toBe(403);
  });

  test("binds its two roles for an account it created, issues that account's token, and removes both", async () => {
    const account = uniqueName('job');
    await core.createNamespacedServiceAccount({ namespace: userNamespace, body: { metadata: { name: account } } });
    for (const role of workloadClusterRoleNames) {
      const binding = await rbac.createNamespacedRoleBinding(bindingTo(userNamespace, role, account));
      await rbac.deleteNamespacedRoleBinding({ name: binding.metadata!.name!, namespace: userNamespace });
    }
    const token = await core.createNamespacedServiceAccountToken({ name: account, namespace: userNamespace, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    expect(token.status?.token).toBeTruthy();
    await core.deleteNamespacedServiceAccount({ name: account, namespace: userNamespace });
  });

  test('every object of deploy/rbac passes a server-side dry run, and the cluster has the ClusterRoles as deploy/rbac defines them', async () => {
    const manifests = rbacManifests();
    const dryRun = await applyManifests(admin, manifests, 'All');
    expect(dryRun.map((object) => `${object.kind}/${object.metadata?.name}`)).toEqual(manifests.map((object) => `${object.kind}/${object.metadata?.name}`));
    for (const role of manifests.filter((object) => object.kind === 'ClusterRole') as V1ClusterRole[]) {
      expect((await adminRbac.readClusterRole({ name: role.metadata!.name! })).rules).toEqual(role.rules);
    }
  });
});
