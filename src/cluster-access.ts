import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ClusterConnector, type BuiltInClusterSource, type ClusterResolver } from './activities/kubernetes/cluster-connector.js';
import { accessFromPresets } from './activities/kubernetes/preset-access.js';
import { builtInCluster, type ClusterStatus } from './domain/cluster.js';
import type { ClusterPresets } from './domain/cluster-presets.js';
import { clusterWorkflowId } from './domain/workflow-ids.js';
import { clusterStatusQuery } from './workflows/cluster.js';

// Wiring shared by the worker and the API: it asks cluster workflows, which activities may not know of.

/** Short enough that a destroyed cluster stops being used soon, long enough to spare the queries. */
const resolveAgainAfterMs = 60_000;

/**
 * Clusters of cluster workflows: a job or kernel may run on one only while its workflow reports
 * it RUNNING; its access is built from the presets and the public facts the workflow keeps.
 */
function clusterResolver(temporal: Client, presets: ClusterPresets): ClusterResolver {
  return async (name) => {
    let status: ClusterStatus;
    try {
      status = await temporal.workflow.getHandle(clusterWorkflowId(name)).query(clusterStatusQuery);
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
