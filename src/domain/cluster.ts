import type { NodePoolPreset } from './cluster-presets.js';

export const clusterPhases = ['PROVISIONING', 'RUNNING', 'DELETING', 'DELETED', 'FAILED'] as const;
export type ClusterPhase = (typeof clusterPhases)[number];
export type ClusterProvider = 'gke' | 'static';

/** The built-in cluster of the embedded stack (or KUBECONFIG_LOCAL): never created nor deleted. */
export const builtInCluster = 'local';
/** Where Kubernetes puts a pod's service-account token, CA certificate and namespace. */
export const podServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What the API hands the cluster workflow: presets resolved, no credentials. */
export interface ClusterInput {
  name: string;
  provider: ClusterProvider;
  /** For `gke`: the connection preset's name and the node pools, resolved from their presets. */
  gke?: { connection: string; nodePools: Record<string, NodePoolPreset> };
  /** Destroy the cluster once no job or kernel has used it for this long. */
  idleTtlSeconds?: number;
  /** Continue as new once the history has this many events (default 2000; tests lower it). */
  historyEventLimit?: number;
  /** Set by continue-as-new: the cluster is RUNNING, this is what the previous run knew. */
  resume?: ClusterResume;
}

/** A RUNNING cluster's state, carried over when its workflow continues as new. */
export interface ClusterResume {
  createdAt: string;
  endpoint?: string;
  caCertificatePem?: string;
  /** Workflow ids of the jobs and kernels using it, with their kind. */
  users: Record<string, string>;
  /** Epoch ms of the last start or end of a use (or of RUNNING). */
  lastUsedAt: number;
  /** GKE: the pools as they are, and the node pool operations kept (see NodePoolOperation). */
  nodePools?: NodePoolStatus[];
  nodePoolOperations?: NodePoolOperation[];
  /** The settings of pools asked for and not added yet, by pool name. */
  nodePoolAdditions?: Record<string, NodePoolPreset>;
}

/** GKE's limit of nodes per pool and zone: the most a fixed-size pool may be resized to. */
export const maxNodesPerPool = 1000;

/** A GKE cluster's node pool as its workflow knows it: from the create, then each operation's end. */
export interface NodePoolStatus {
  name: string;
  machineType: string;
  /** Nodes per zone of the cluster's location, as GKE counts them. */
  nodeCount: number;
  /** The most it may be resized to: the autoscaler's maximum, or GKE's limit. */
  maxNodes: number;
  autoscaling?: { minNodes: number; maxNodes: number };
  /** RUNNING, under an operation, or ERROR (an addition that failed: GKE keeps the pool until it is deleted). */
  state: 'RUNNING' | 'RESIZING' | 'ADDING' | 'ERROR';
}

/** A resize or an added pool: asked by a client, run one at a time (GKE refuses two at once on a cluster). */
export interface NodePoolOperation {
  id: string;
  kind: 'resize' | 'add';
  pool: string;
  /** resize: the size asked for. */
  nodeCount?: number;
  /** add: the node pool preset. */
  preset?: string;
  state: 'PENDING' | 'RUNNING' | 'DONE' | 'FAILED';
  error?: string;
  requestedAt: string;
  requestedBy?: string;
  endedAt?: string;
}

/** What a client asks the cluster workflow (update `resizeNodePool`). */
export interface NodePoolResize {
  pool: string;
  nodeCount: number;
  by?: string;
}

/** What a client asks the cluster workflow (update `addNodePool`): the preset resolved by the client. */
export interface NodePoolAddition {
  pool: string;
  preset: string;
  settings: NodePoolPreset;
  by?: string;
}

/** The node pools a cluster starts with, from their presets. */
export function initialNodePools(presets: Record<string, NodePoolPreset>): NodePoolStatus[] {
  return Object.entries(presets).map(([name, preset]) => nodePoolStatus(name, preset));
}

export function nodePoolStatus(name: string, preset: NodePoolPreset, state: NodePoolStatus['state'] = 'RUNNING'): NodePoolStatus {
  return {
    name, machineType: preset.machineType, nodeCount: initialNodeCount(preset),
    maxNodes: preset.autoscaling?.maxNodes ?? maxNodesPerPool, ...(preset.autoscaling ? { autoscaling: preset.autoscaling } : {}), state,
  };
}

/** An autoscaled pool still starts with nodes: GKE needs some to schedule its system pods. */
export function initialNodeCount(preset: NodePoolPreset): number {
  return preset.nodeCount ?? Math.max(1, preset.autoscaling?.minNodes ?? 1);
}

/** A job or kernel starting (`inUse`) or ending its use of a cluster. */
export interface ClusterUse {
  workflowId: string;
  kind: 'spark-job' | 'kernel';
  inUse: boolean;
}

/** The signal by which the operation poller reports progress to its cluster workflow. */
export const gkeProgressSignalName = 'gkeProgress';

/** Where a GKE operation is, as its poller reports it. */
export interface ClusterOperationProgress {
  status: string;
  percent?: number;
  at: string;
}

export interface ClusterStatus {
  name: string;
  provider: ClusterProvider;
  phase: ClusterPhase;
  /** https URL of the Kubernetes API server, once RUNNING. */
  endpoint?: string;
  /** PEM of its CA: public, kept so jobs can reach the cluster without asking GKE each time. */
  caCertificatePem?: string;
  /** The GKE connection preset, for a fresh access token when a job runs. */
  connection?: string;
  createdAt: string;
  progress?: ClusterOperationProgress & { elapsedSeconds: number };
  idleTtlSeconds?: number;
  /** While RUNNING: jobs and kernels using it now, and when the last one started or ended. */
  inUseBy?: number;
  lastUsedAt?: string;
  /** GKE clusters once RUNNING. */
  nodePools?: NodePoolStatus[];
  /** The latest node pool operations, oldest first (at most maxKeptNodePoolOperations). */
  nodePoolOperations?: NodePoolOperation[];
  error?: string;
}

/** How many ended node pool operations a cluster's status keeps. */
export const maxKeptNodePoolOperations = 20;

/**
 * A cluster's status as its run starts (`startedAt`, epoch ms, for a first run): also what a read
 * answers for a workflow closed before it ever ran, whose query cannot be answered.
 */
export function clusterStatusAtStart(input: ClusterInput, startedAt: number): ClusterStatus {
  const { name, provider, resume, idleTtlSeconds } = input;
  const connection = input.gke?.connection;
  return {
    name, provider, phase: resume ? 'RUNNING' : 'PROVISIONING', createdAt: resume?.createdAt ?? new Date(startedAt).toISOString(),
    ...(connection ? { connection } : {}), ...(idleTtlSeconds ? { idleTtlSeconds } : {}),
    ...(resume?.endpoint ? { endpoint: resume.endpoint, caCertificatePem: resume.caCertificatePem } : {}),
  };
}
