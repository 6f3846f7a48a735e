import { ApplicationFailure } from '@temporalio/common';
import type { ClusterProvider } from '../../domain/cluster.js';
import type { ClusterPresets } from '../../domain/cluster-presets.js';
import { gkeAccessToken } from '../gke/credentials.js';
import { fromKubeconfig, fromToken, type ClusterAccess } from './cluster-connector.js';

/** What a cluster workflow knows of its cluster: nothing secret. */
export interface PublicClusterFacts {
  name: string;
  provider: ClusterProvider;
  endpoint?: string;
  caCertificatePem?: string;
  connection?: string;
}

/** Access to a cluster from its presets and public facts, with a fresh token for GKE. */
export async function accessFromPresets(presets: ClusterPresets, cluster: PublicClusterFacts): Promise<ClusterAccess> {
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
