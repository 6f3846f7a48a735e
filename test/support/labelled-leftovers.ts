import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig, type V1ObjectMeta } from '@kubernetes/client-node';
import { kindLabel, workflowIdAnnotation } from '../../src/domain/labels.js';

export interface Leftover {
  kind: 'Pod' | 'ServiceAccount' | 'RoleBinding' | 'Namespace';
  /** `namespace/name`, or the name of a namespace. */
  where: string;
  workflowId?: string;
}

/**
 * Every pod, account, role binding and kernel namespace matching `labelSelector` on a cluster,
 * listed apart from the janitor's own listing, so a test does not check the code with the code.
 * A namespace still terminating is on its way out, and a Spark user's namespace outlives its jobs:
 * neither is a leftover.
 */
export async function labelledLeftovers(admin: KubeConfig, labelSelector: string): Promise<Leftover[]> {
  const core = admin.makeApiClient(CoreV1Api);
  const [pods, accounts, bindings, namespaces] = await Promise.all([
    core.listPodForAllNamespaces({ labelSelector }), core.listServiceAccountForAllNamespaces({ labelSelector }),
    admin.makeApiClient(RbacAuthorizationV1Api).listRoleBindingForAllNamespaces({ labelSelector }), core.listNamespace({ labelSelector }),
  ]);
  const leftover = (kind: Leftover['kind'], metadata: V1ObjectMeta | undefined): Leftover => ({
    kind, where: metadata?.namespace ? `${metadata.namespace}/${metadata.name}` : `${metadata?.name}`, workflowId: metadata?.annotations?.[workflowIdAnnotation],
  });
  return [
    ...pods.items.map((item) => leftover('Pod', item.metadata)),
    ...accounts.items.map((item) => leftover('ServiceAccount', item.metadata)),
    ...bindings.items.map((item) => leftover('RoleBinding', item.metadata)),
    ...namespaces.items.filter((item) => item.status?.phase !== 'Terminating' && item.metadata?.labels?.[kindLabel] === 'kernel').map((item) => leftover('Namespace', item.metadata)),
  ];
}
