import { RbacAuthorizationV1Api, type V1ClusterRole } from '@kubernetes/client-node';
import { managedByLabel, managedByValue } from '../domain/labels.js';
import { sparkDriverClusterRole } from '../domain/spark-job.js';
import { isConflict, kube } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';

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

/** The orchestrator's own bootstrap on each cluster: create or bring up to date its ClusterRoles. */
export async function installClusterRoles(clusters: ClusterConnector, cluster: string): Promise<void> {
  const rbac = clusters.access(cluster).config.makeApiClient(RbacAuthorizationV1Api);
  for (const role of [sparkDriverRole]) {
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
