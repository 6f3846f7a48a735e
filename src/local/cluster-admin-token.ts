import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';

const ignoreConflict = (error: unknown): void => {
  if ((error as { code?: number }).code !== 409) throw error;
};

/**
 * A bearer token of the cluster-admin service account `account` in kube-system (made if absent):
 * what the GKE simulator's connection presents as a Google token, or what a client passes through
 * a plain-HTTP proxy, where the admin's client certificate cannot go.
 */
export async function clusterAdminToken(admin: KubeConfig, account: string, expirationSeconds: number): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: 'kube-system', body: { metadata: { name: account } } }).catch(ignoreConflict);
  await admin.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      metadata: { name: account }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace: 'kube-system' }],
    },
  }).catch(ignoreConflict);
  const token = await core.createNamespacedServiceAccountToken({ name: account, namespace: 'kube-system', body: { spec: { audiences: [], expirationSeconds } } });
  return token.status?.token ?? '';
}
