import type { Client } from '@temporalio/client';
import { ClustersClient } from './clusters.js';
import { checkSparkJobRequest, toSparkJobInput } from './spark-job-request.js';
import { SparkJobsClient } from './spark-jobs.js';

export interface SparkJobSubmission {
  temporal: Client;
  taskQueue: string;
  orchestratorNamespace: string;
  /** Spark jobs a user may have in flight; 0: no limit. */
  maxInFlightPerUser: number;
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
 * beyond it), then the job's workflow started, idempotent on the job id.
 */
export async function submitSparkJob(using: SparkJobSubmission, request: unknown): Promise<SubmittedSparkJob> {
  const input = toSparkJobInput(checkSparkJobRequest(request), using);
  await new ClustersClient(using.temporal, using.taskQueue).requireRunning(input.cluster, 'cluster');
  const started = await new SparkJobsClient(using.temporal, using.taskQueue, using.maxInFlightPerUser).start(input);
  return { ...started, namespace: input.namespace };
}
