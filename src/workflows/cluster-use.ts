import { defineSignal } from '@temporalio/workflow';
import type { WorkflowSignal } from '../activities/workflow-signals.js';
import { builtInCluster, type ClusterUse } from '../domain/cluster.js';
import { clusterWorkflowId } from '../domain/workflow-ids.js';
import { signalIfRunning } from './external-signal.js';

/** Jobs and kernels tell their cluster's workflow when they start and stop using it (idle TTL). */
export const clusterUseSignal = defineSignal<[ClusterUse]>('use');

/** The built-in cluster has no workflow to tell; other clusters may have ended meanwhile. */
export async function reportClusterUse(cluster: string, use: ClusterUse): Promise<void> {
  if (cluster === builtInCluster) return;
  await signalIfRunning(clusterWorkflowId(cluster), clusterUseSignal, use);
}

/** The same, as a signal an activity sends (none for the built-in cluster). */
export function clusterUseNotice(cluster: string, use: ClusterUse): WorkflowSignal[] {
  return cluster === builtInCluster ? [] : [{ workflowId: clusterWorkflowId(cluster), signal: clusterUseSignal.name, args: [use] }];
}
