import { sparkJobWorkflowId } from './workflow-ids.js';
import { toDnsLabel } from './naming.js';

export const sparkJobPhases = ['PENDING', 'SUBMITTING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type SparkJobPhase = (typeof sparkJobPhases)[number];

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
  driverPod: string;
  exitCode?: number;
  error?: string;
  cleanedUp: boolean;
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
