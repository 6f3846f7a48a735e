import { Context } from '@temporalio/activity';
import type { ClusterPresets } from '../domain/cluster-presets.js';
import { clusterRoleApi, ensureClusterRoles } from './cluster-roles.js';
import { accessFromPresets, type PublicClusterFacts } from './kubernetes/preset-access.js';

export function clusterSetupActivities(presets: ClusterPresets) {
  return {
    /**
     * Before a cluster is RUNNING: it answers with our credentials, and it has the ClusterRoles
     * that Spark drivers and kernels are bound to (installed here when the credentials may).
     */
    async prepareCluster(cluster: PublicClusterFacts): Promise<void> {
      const rbac = clusterRoleApi(await accessFromPresets(presets, cluster));
      await ensureClusterRoles(cluster.name, rbac, (message) => {
        Context.current().log.warn(message);
      });
    },
  };
}
