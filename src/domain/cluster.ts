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
  error?: string;
}
