import { RbacAuthorizationV1Api, type V1ClusterRole } from '@kubernetes/client-node';
import { managedByLabel, managedByValue } from '../domain/labels.js';
import { kernelControllerClusterRole } from '../domain/kernel-pod.js';
import { sparkDriverClusterRole } from '../domain/spark-job.js';
import { isConflict, kube } from './kubernetes/api-errors.js';
import type { ClusterAccess } from './kubernetes/cluster-connector.js';

const verbs = ['create', 'get', 'list', 'watch', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * Exactly what a Spark driver needs, bound per namespace by a RoleBinding so it never reaches
 * outside: its executors (pods), their service and config maps, volume claims. No secrets, no
 * RBAC, nothing cluster-scoped.
 */
export const sparkDriverRole: V1ClusterRole = {
  metadata: { name: sparkDriverClusterRole, labels: { [managedByLabel]: managedByValue } },
  rules: [
    { apiGroups: [''], resources: ['pods', 'services', 'configmaps', 'persistentvolumeclaims'], verbs },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  ],
};

/**
 * Bound by a RoleBinding named `kernel-controller` in a kernel's own namespace (Enterprise
 * Gateway's convention): a Spark kernel manages its executors there, and nothing elsewhere.
 */
export const kernelControllerRole: V1ClusterRole = {
  metadata: { name: kernelControllerClusterRole, labels: { [managedByLabel]: managedByValue } },
  rules: sparkDriverRole.rules,
};

/** The orchestrator's own bootstrap on each cluster: create or bring up to date its ClusterRoles. */
export async function installClusterRoles(access: ClusterAccess): Promise<void> {
  const rbac = access.config.makeApiClient(RbacAuthorizationV1Api);
  for (const role of [sparkDriverRole, kernelControllerRole]) {
    const name = role.metadata!.name!;
    await kube(`install ClusterRole ${name}`, async () => {
      try {
        await rbac.createClusterRole({ body: role });
      } catch (error) {
        if (!isConflict(error)) throw error;
        await rbac.replaceClusterRole({ name, body: role });
      }
    });
  }
}
