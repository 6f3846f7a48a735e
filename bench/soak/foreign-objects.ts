import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1ObjectMeta } from '@kubernetes/client-node';
import { sparkUsers } from './plan.js';

/** An object the orchestrator did not make, in its users' way: it must come out of the soak as it went in. */
export interface ForeignObject {
  description: string;
  uid: string;
  read(): Promise<{ uid: string; deleting: boolean }>;
}

const state = (metadata: V1ObjectMeta | undefined) => ({ uid: metadata?.uid ?? '', deleting: metadata?.deletionTimestamp !== undefined });

/**
 * Unlabelled objects where the janitor and the workflows work: a namespace of its own, and a
 * service account, role binding and pod in the first Spark user's namespace (made ahead by an
 * admin, as DSS allows), where that user's jobs come and go.
 */
export async function createForeignObjects(adminKubeconfig: string): Promise<ForeignObject[]> {
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const objects: ForeignObject[] = [];
  for (const namespace of ['soak-foreign', `dss-ns-${sparkUsers[0]}`]) {
    const created = await core.createNamespace({ body: { metadata: { name: namespace } } });
    objects.push({ description: `Namespace ${namespace}`, uid: created.metadata?.uid ?? '', read: async () => state((await core.readNamespace({ name: namespace })).metadata) });
    const account = await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'bystander' } } });
    objects.push({ description: `ServiceAccount ${namespace}/bystander`, uid: account.metadata?.uid ?? '', read: async () => state((await core.readNamespacedServiceAccount({ namespace, name: 'bystander' })).metadata) });
    const binding = await rbac.createNamespacedRoleBinding({
      namespace,
      body: { metadata: { name: 'bystander-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'bystander', namespace }] },
    });
    objects.push({ description: `RoleBinding ${namespace}/bystander-view`, uid: binding.metadata?.uid ?? '', read: async () => state((await rbac.readNamespacedRoleBinding({ namespace, name: 'bystander-view' })).metadata) });
    const pod = await core.createNamespacedPod({ namespace, body: { metadata: { name: 'bystander' }, spec: { serviceAccountName: 'bystander', containers: [{ name: 'main', image: 'debian:bookworm' }] } } });
    objects.push({ description: `Pod ${namespace}/bystander`, uid: pod.metadata?.uid ?? '', read: async () => state((await core.readNamespacedPod({ namespace, name: 'bystander' })).metadata) });
  }
  return objects;
}
