import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ClusterProvider } from '../domain/cluster.js';
import type { ClusterPresets } from '../domain/cluster-presets.js';
import { clusterRoleApi, ensureClusterRoles } from './cluster-roles.js';
import { gkeAccessToken } from './gke/credentials.js';
import { fromKubeconfig, fromToken, type ClusterAccess } from './kubernetes/cluster-connector.js';

/** What the cluster workflow knows of a cluster it is about to call RUNNING: nothing secret. */
export interface ClusterToPrepare {
  name: string;
  provider: ClusterProvider;
  endpoint?: string;
  caCertificatePem?: string;
  connection?: string;
}

/** Access to a cluster from its presets and public facts, with a fresh token for GKE. */
export async function accessFromPresets(presets: ClusterPresets, cluster: ClusterToPrepare): Promise<ClusterAccess> {
  if (cluster.provider === 'static') {
    const source = presets.staticClusters[cluster.name];
    if (!source) throw ApplicationFailure.nonRetryable(`no static cluster preset '${cluster.name}' on this worker`, 'UnknownCluster');
    return fromKubeconfig(cluster.name, source);
  }
  const connection = cluster.connection ? presets.gkeConnections[cluster.connection] : undefined;
  if (!connection || !cluster.endpoint || !cluster.caCertificatePem) {
    throw ApplicationFailure.nonRetryable(`cluster '${cluster.name}' lacks its GKE connection preset '${cluster.connection ?? ''}', endpoint or CA`, 'UnknownCluster');
  }
  return fromToken(cluster.name, { server: cluster.endpoint, caCert: cluster.caCertificatePem, token: await gkeAccessToken(connection) });
}

export function clusterSetupActivities(presets: ClusterPresets) {
  return {
    /**
     * Before a cluster is RUNNING: it answers with our credentials, and it has the ClusterRoles
     * that Spark drivers and kernels are bound to (installed here when the credentials may).
     */
    async prepareCluster(cluster: ClusterToPrepare): Promise<void> {
      const rbac = clusterRoleApi(await accessFromPresets(presets, cluster));
      await ensureClusterRoles(cluster.name, rbac, (message) => {
        Context.current().log.warn(message);
      });
    },
  };
}
