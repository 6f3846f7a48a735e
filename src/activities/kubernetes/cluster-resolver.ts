import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { builtInCluster, clusterWorkflowId, type ClusterStatus } from '../../domain/cluster.js';
import type { ClusterPresets } from '../../domain/cluster-presets.js';
import { accessFromPresets } from '../cluster-setup.js';
import { ClusterConnector, type BuiltInClusterSource, type ClusterResolver } from './cluster-connector.js';

/** Short enough that a destroyed cluster stops being used soon, long enough to spare the queries. */
const resolveAgainAfterMs = 60_000;

/**
 * Clusters of cluster workflows: a job or kernel may run on one only while its workflow reports
 * it RUNNING; its access is built from the presets and the public facts the workflow keeps.
 */
export function clusterResolver(temporal: Client, presets: ClusterPresets): ClusterResolver {
  return async (name) => {
    let status: ClusterStatus;
    try {
      status = await temporal.workflow.getHandle(clusterWorkflowId(name)).query<ClusterStatus>('status');
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
    if (status.phase !== 'RUNNING') return undefined;
    return { access: await accessFromPresets(presets, status), refreshAt: Date.now() + resolveAgainAfterMs };
  };
}

/** The clusters a process reaches: `local` from its own configuration, the others through their cluster workflows. */
export function clusterConnector(localCluster: BuiltInClusterSource | undefined, temporal: Client, presets: ClusterPresets): ClusterConnector {
  return new ClusterConnector(localCluster ? { [builtInCluster]: localCluster } : {}, clusterResolver(temporal, presets));
}
