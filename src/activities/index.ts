import type { Client } from '@temporalio/client';
import type { ClusterPresets } from '../domain/cluster-presets.js';
import { clusterSetupActivities } from './cluster-setup.js';
import type { GkeClients } from './gke/client.js';
import { gkeClusterActivities } from './gke/clusters.js';
import { gkeNodePoolActivities } from './gke/node-pools.js';
import { identityActivities } from './identity.js';
import { janitorActivities } from './janitor.js';
import { kernelLaunchActivities } from './kernel-launch.js';
import { kernelActivities } from './kernel-pods.js';
import { kernelWireActivities } from './kernel-wire.js';
import { leaseTokenActivities } from './lease-tokens.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import type { PodWatchHub } from './kubernetes/pod-watch-hub.js';
import { namespaceActivities } from './namespaces.js';
import { podLogActivities } from './pod-logs.js';
import { podActivities } from './pods.js';
import { sparkSubmitActivities } from './spark-submit.js';
import type { SparkSubmission } from './spark-submitter.js';
import { workflowLookupActivities } from './workflow-lookup.js';
import { workflowSignalActivities } from './workflow-signals.js';

/** Dependencies every activity receives from the worker bootstrap. */
export interface ActivityDeps {
  clusters: ClusterConnector;
  /** How jobs are submitted: the Spark submitter, or a spark-submit process per job. */
  sparkSubmission: SparkSubmission;
  /** The worker's shared watches of our pods. */
  podWatches: PodWatchHub;
  /** For activities that look up or signal workflows. */
  temporal: Client;
  clusterPresets: ClusterPresets;
  gkeClients: GkeClients;
  /** How often a GKE operation or cluster being waited for is read. */
  gkePollMs?: number;
  /** The address at which kernel pods reach this worker to send their connection information. */
  kernelResponseHost?: string;
}

/** The activities the worker registers, bound to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...namespaceActivities(deps.clusters),
    ...identityActivities(deps.clusters),
    ...podActivities(deps.clusters, deps.podWatches),
    ...podLogActivities(deps.clusters),
    ...sparkSubmitActivities(deps.clusters, deps.sparkSubmission),
    ...leaseTokenActivities(deps.clusters),
    ...kernelActivities(deps.clusters, deps.temporal, deps.podWatches),
    ...kernelLaunchActivities(deps.clusters, deps.temporal, deps.podWatches, deps.kernelResponseHost),
    ...kernelWireActivities(deps.clusters, deps.temporal),
    ...workflowLookupActivities(deps.temporal),
    ...workflowSignalActivities(deps.temporal),
    ...janitorActivities(deps.clusters, deps.temporal),
    ...gkeClusterActivities(deps.gkeClients, deps.temporal, deps.gkePollMs),
    ...gkeNodePoolActivities(deps.gkeClients),
    ...clusterSetupActivities(deps.clusterPresets),
  };
}

export type Activities = ReturnType<typeof createActivities>;
