import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { managedByLabel, managedByValue, ownerLabel } from '../../../src/domain/labels.js';
import { toDnsLabel } from '../../../src/domain/naming.js';
import { adminKubeConfig } from './kube.js';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);

/**
 * Every object of ours that a workflow left on the cluster (its owner label), as "Kind namespace/name".
 * Listed here, apart from the janitor's own listing, so a test does not check the code with the code.
 */
export async function leftBy(workflowId: string): Promise<string[]> {
  const labelSelector = `${managedByLabel}=${managedByValue},${ownerLabel}=${toDnsLabel(workflowId)}`;
  const [pods, accounts, bindings, namespaces] = await Promise.all([
    core.listPodForAllNamespaces({ labelSelector }), core.listServiceAccountForAllNamespaces({ labelSelector }),
    rbac.listRoleBindingForAllNamespaces({ labelSelector }), core.listNamespace({ labelSelector }),
  ]);
  return [
    ...pods.items.map((item) => `Pod ${item.metadata?.namespace}/${item.metadata?.name}`),
    ...accounts.items.map((item) => `ServiceAccount ${item.metadata?.namespace}/${item.metadata?.name}`),
    ...bindings.items.map((item) => `RoleBinding ${item.metadata?.namespace}/${item.metadata?.name}`),
    // A namespace still terminating is on its way out; one that is Active was leaked.
    ...namespaces.items.filter((item) => item.status?.phase !== 'Terminating' && item.metadata?.labels?.['compute-orchestrator/kind'] === 'kernel').map((item) => `Namespace ${item.metadata?.name}`),
  ];
}
