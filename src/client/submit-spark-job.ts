import type { Client } from '@temporalio/client';
import { ClustersClient } from './clusters.js';
import type { KnownClusters } from './known-clusters.js';
import { checkSparkJobRequest, toSparkJobInput, toSparkLeaseInput } from './spark-job-request.js';
import { SparkJobsClient } from './spark-jobs.js';

export interface SparkJobSubmission {
  temporal: Client;
  taskQueue: string;
  orchestratorNamespace: string;
  /** Spark jobs a user may have in flight; 0: no limit. */
  maxInFlightPerUser: number;
  /** Static presets a job may name: one not attached now is attached for it. */
  knownClusters: KnownClusters;
}

export interface SubmittedSparkJob {
  jobId: string;
  workflowId: string;
  namespace: string;
  /** The same job id was submitted before: this is that job, not a second one. */
  existing: boolean;
}

/**
 * The one way a Spark job starts, for the API and the CLI alike: the request checked (400 naming
 * the field), its namespace resolved, its cluster RUNNING, a slot of the user's quota taken (409
 * beyond it), then the job's workflow started, idempotent on the job id: in cluster mode the job,
 * in client mode the lease on its identity.
 */
export async function submitSparkJob(using: SparkJobSubmission, request: unknown): Promise<SubmittedSparkJob> {
  const checked = checkSparkJobRequest(request);
  if (checked.deployMode === 'client') {
    const input = toSparkLeaseInput(checked, using);
    return startOnCluster(using, input, (jobs) => jobs.startLease(input));
  }
  const input = toSparkJobInput(checked, using);
  return startOnCluster(using, input, (jobs) => jobs.start(input));
}

type Started = Omit<SubmittedSparkJob, 'namespace'>;

async function startOnCluster(using: SparkJobSubmission, input: { cluster: string; namespace: string; user: string }, start: (jobs: SparkJobsClient) => Promise<Started>): Promise<SubmittedSparkJob> {
  await new ClustersClient(using.temporal, using.taskQueue, using.knownClusters).requireRunning(input.cluster, 'cluster', `a Spark job of ${input.user}`);
  const started = await start(new SparkJobsClient(using.temporal, using.taskQueue, using.maxInFlightPerUser));
  return { ...started, namespace: input.namespace };
}
