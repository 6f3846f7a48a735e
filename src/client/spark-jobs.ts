import type { Client } from '@temporalio/client';
import { conflictError, notFoundError } from '../domain/errors.js';
import { searchAttributeKeys as searchAttributes } from '../domain/search-attributes.js';
import type { SparkJobInput, SparkJobStatus } from '../domain/spark-job.js';
import { computeIdOf, sparkJobWorkflowId } from '../domain/workflow-ids.js';
import type { StopRequest } from '../workflows/ending.js';
import { cancelSparkJobSignal, sparkJobDriverLogQuery, sparkJobStatusQuery } from '../workflows/spark-job.js';
import { buildListQuery } from './visibility-query.js';
import { forWorkflow, signalRunning } from './workflow-errors.js';
import { startWithinQuota } from './user-quota.js';
import { queryWorkflow, readWorkflowStatus, type ReadOptions } from './workflow-status.js';

export interface SparkJobSummary {
  jobId: string;
  user: string;
  workflowId: string;
  executionStatus: string;
  startTime: string;
  phase?: string;
}

export class SparkJobsClient {
  /** `maxInFlightPerUser`: Spark jobs a user may have running at once; 0, no limit. */
  constructor(private readonly client: Client, private readonly taskQueue: string, private readonly maxInFlightPerUser = 0) {}

  /** Starts the job within the user's quota (409 LIMIT_EXCEEDED beyond it); the same job id again returns the existing job, never a second one. */
  async start(input: SparkJobInput): Promise<{ jobId: string; workflowId: string; existing: boolean }> {
    const workflowId = sparkJobWorkflowId(input.jobId);
    const { existing } = await startWithinQuota(this.client, { kind: 'spark-job', user: input.user }, this.maxInFlightPerUser, {
      workflowType: 'sparkJob', workflowId, taskQueue: this.taskQueue, args: [input],
      attributes: { user: input.user, kind: 'spark-job', namespace: input.namespace, cluster: input.cluster },
    });
    return { jobId: input.jobId, workflowId, existing };
  }

  status(jobId: string, options?: ReadOptions): Promise<SparkJobStatus> {
    return readWorkflowStatus(this.client, sparkJobWorkflowId(jobId), `spark job '${jobId}'`, sparkJobStatusQuery, options);
  }

  /**
   * The end of the driver's log, kept when the job ended. Not ended yet: 409; unknown, or ended
   * without a log (the reason is in the message): 404. A workflow closed without its cleanup
   * (terminated by hand) never kept one.
   */
  async log(jobId: string): Promise<string> {
    const what = `spark job '${jobId}'`;
    const workflowId = sparkJobWorkflowId(jobId);
    const driverLog = await queryWorkflow(this.client, workflowId, what, sparkJobDriverLogQuery);
    if (driverLog.state === 'KEPT') return driverLog.text;
    if (driverLog.state === 'NOT_KEPT') throw notFoundError(`no driver log was kept: ${driverLog.reason}`);
    const { status } = await forWorkflow(what, () => this.client.workflow.getHandle(workflowId).describe());
    if (status.name === 'RUNNING') throw conflictError(`${what} has not ended yet: the end of its driver log is kept when it ends`);
    throw notFoundError(`no driver log was kept: the workflow of ${what} was ${status.name} before its cleanup`);
  }

  cancel(jobId: string, request: StopRequest): Promise<void> {
    return signalRunning(this.client, sparkJobWorkflowId(jobId), `spark job '${jobId}'`, cancelSparkJobSignal, request);
  }

  /** Newest first; the phase of each comes from its status query. */
  async list(filter: { user?: string }, limit = 100): Promise<SparkJobSummary[]> {
    const jobs: SparkJobSummary[] = [];
    const query = buildListQuery({ user: filter.user, kind: 'spark-job' });
    for await (const execution of this.client.workflow.list({ query })) {
      const user = execution.typedSearchAttributes.get(searchAttributes.dssUser) ?? '';
      const jobId = computeIdOf('spark-job', execution.workflowId);
      if (jobId === undefined) continue;
      const phase = await this.status(jobId, { patienceMs: 0 }).then((status) => status.phase, () => undefined);
      jobs.push({ jobId, user, workflowId: execution.workflowId, executionStatus: execution.status.name, startTime: execution.startTime.toISOString(), phase });
      if (jobs.length >= limit) break;
    }
    return jobs;
  }
}
