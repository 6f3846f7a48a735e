import type { Client } from '@temporalio/client';
import type { ClusterPresets } from '../domain/cluster-presets.js';
import { checkClusterRequest, toClusterInput } from './cluster-request.js';
import { ClustersClient } from './clusters.js';

export interface ClusterCreation {
  temporal: Client;
  taskQueue: string;
  presets: ClusterPresets;
}

/**
 * The one way a cluster is created or attached, for the API and the CLI alike: the request
 * checked and its presets resolved (400 naming the field), then the cluster's workflow started;
 * the same name while the cluster lives is the same cluster. `by`: who asked, for the Web UI.
 */
export async function createCluster(using: ClusterCreation, request: unknown, by: string): Promise<{ name: string; workflowId: string; existing: boolean }> {
  const input = toClusterInput(checkClusterRequest(request), using.presets);
  return await new ClustersClient(using.temporal, using.taskQueue).create(input, by);
}
