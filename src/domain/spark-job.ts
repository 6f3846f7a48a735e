import { sparkJobWorkflowId } from './workflow-ids.js';
import { toDnsLabel } from './naming.js';
import type { SealedBox } from './sealed-box.js';

export const sparkJobPhases = ['PENDING', 'SUBMITTING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type SparkJobPhase = (typeof sparkJobPhases)[number];
/** Where the driver runs: a pod the orchestrator submits (cluster), or the caller's host, which holds a lease on the identity (client). */
export const sparkDeployModes = ['cluster', 'client'] as const;
export type SparkDeployMode = (typeof sparkDeployModes)[number];

export interface SparkResources {
  cores?: number;
  memory?: string;
}

export interface SparkApp {
  image: string;
  mainApplicationFile: string;
  mainClass?: string;
  args?: string[];
  conf?: Record<string, string>;
  driver?: SparkResources;
  executor?: SparkResources & { instances?: number };
}

/** What the API hands the workflow: validated, the namespace already resolved. No secrets. */
export interface SparkJobInput {
  jobId: string;
  user: string;
  cluster: string;
  namespace: string;
  autoCreateNamespace: boolean;
  app: SparkApp;
  timeoutSeconds?: number;
}

export interface SparkJobStatus {
  jobId: string;
  user: string;
  phase: SparkJobPhase;
  namespace: string;
  serviceAccount: string;
  /** Empty in client mode: the driver runs on the caller's host. */
  driverPod: string;
  exitCode?: number;
  error?: string;
  cleanedUp: boolean;
  /** Set by client-mode jobs; a cluster-mode job's status (and those recorded before) lacks it. */
  deployMode?: SparkDeployMode;
  lease?: SparkLease;
}

/** Bounds of a lease's renewal timeout, in seconds. */
export const leaseSecondsRange = { min: 10, max: 3600, default: 120 } as const;

/**
 * A client-mode job: its namespace and temporary identity live while the caller renews the lease
 * within `leaseSeconds`; the caller runs spark-submit itself with a kubeconfig of the identity.
 */
export interface SparkLeaseInput {
  jobId: string;
  user: string;
  cluster: string;
  namespace: string;
  autoCreateNamespace: boolean;
  leaseSeconds: number;
  /** The longest the job may live, renewed or not. */
  timeoutSeconds?: number;
  /** Continue as new once the history has this many events (default 2000; tests lower it). */
  historyEventLimit?: number;
  /** Set by continue-as-new: the identity exists, this is what the previous run knew. */
  resume?: SparkLeaseResume;
}

export interface SparkLeaseResume {
  /** Epoch ms. */
  startedAt: number;
  leaseExpiresAt: number;
}

/** The lease as the status shows it. */
export interface SparkLease {
  expiresAt: string;
  leaseSeconds: number;
}

/** The caller's end of a client-mode job: 0 (or none) is success, anything else its failure. */
export interface SparkJobEnd {
  exitCode?: number;
  /** Who ends it, shown in the status. */
  by?: string;
}

/** A request for a token of the lease's account, sealed to `publicKey` (src/codec/sealed-box.ts). */
export interface LeaseTokenRequest {
  /** X25519 SPKI DER, base64: one request's one-time key. */
  publicKey: string;
}

/** A kubeconfig's ingredients: public facts, and the token sealed so that only the requester can read it. */
export interface IssuedLeaseToken {
  sealedToken: SealedBox;
  tokenExpiresAt: string;
  /** The API server's URL and its CA's PEM, as the worker reaches the cluster. */
  server: string;
  caCert: string;
  namespace: string;
  serviceAccount: string;
  /** The lease's new expiry: obtaining a token renews it. */
  expiresAt: string;
}

export interface SparkJobNames {
  workflowId: string;
  serviceAccount: string;
  roleBinding: string;
  driverPod: string;
}

/** The ClusterRole bound per job: exactly what a Spark driver needs in its namespace. */
export const sparkDriverClusterRole = 'compute-orchestrator-spark-driver';

/**
 * Every name of a job derives from its id, so a retried activity finds what an earlier attempt
 * created instead of making a second one.
 */
export function sparkJobNames(jobId: string): SparkJobNames {
  const slug = toDnsLabel(jobId, 63 - 'spark-'.length - '-driver'.length);
  return {
    workflowId: sparkJobWorkflowId(jobId),
    serviceAccount: `spark-${slug}`,
    roleBinding: `spark-${slug}`,
    driverPod: `spark-${slug}-driver`,
  };
}

/**
 * A cluster-mode job's status as its workflow starts: also what a read answers for a workflow
 * closed before it ever ran (terminated as it was started), whose query cannot be answered.
 */
export function sparkJobStatusAtStart(input: SparkJobInput): SparkJobStatus {
  const { serviceAccount, driverPod } = sparkJobNames(input.jobId);
  return { jobId: input.jobId, user: input.user, phase: 'PENDING', namespace: input.namespace, serviceAccount, driverPod, cleanedUp: false };
}

/** A client-mode job's status as its run starts (see sparkJobStatusAtStart); without its lease. */
export function sparkLeaseStatusAtStart(input: SparkLeaseInput): SparkJobStatus {
  return {
    jobId: input.jobId, user: input.user, phase: input.resume ? 'RUNNING' : 'PENDING', namespace: input.namespace,
    serviceAccount: sparkJobNames(input.jobId).serviceAccount, driverPod: '', cleanedUp: false, deployMode: 'client',
  };
}
