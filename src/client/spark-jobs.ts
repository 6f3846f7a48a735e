import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { conflictError, DomainError, notFoundError } from '../domain/errors.js';
import { searchAttributeKeys as searchAttributes } from '../domain/search-attributes.js';
import {
  sparkJobStatusAtStart, sparkLeaseStatusAtStart, type IssuedLeaseToken, type SparkJobEnd, type SparkJobInput, type SparkJobStatus, type SparkLease, type SparkLeaseInput,
} from '../domain/spark-job.js';
import { computeIdOf, sparkJobWorkflowId } from '../domain/workflow-ids.js';
import type { StopRequest } from '../workflows/ending.js';
import { cancelSparkJobSignal, sparkJobDriverLogQuery, sparkJobStatusQuery } from '../workflows/spark-job.js';
import { endSparkJobSignal, issueLeaseTokenUpdate, renewSparkLeaseUpdate } from '../workflows/spark-lease.js';
import { buildListQuery } from '../domain/visibility-query.js';
import { forWorkflow, signalRunning } from './workflow-errors.js';
import { startWithinQuota } from './user-quota.js';
import { queryWorkflow, readWorkflowStatus, type ReadOptions } from './workflow-status.js';

/**
 * How long a lease call waits for its workflow's answer: a token's attempts take 30 s at most
 * (src/workflows/spark-lease.ts), plus the making of the identity when asked right after the start.
 */
const leaseCallMs = 60_000;

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
  start(input: SparkJobInput): Promise<{ jobId: string; workflowId: string; existing: boolean }> {
    return this.startWorkflow('sparkJob', input);
  }

  /** The same for a client-mode job: its identity, held while the caller renews the lease; the same slot of the quota. */
  startLease(input: SparkLeaseInput): Promise<{ jobId: string; workflowId: string; existing: boolean }> {
    return this.startWorkflow('sparkLease', input);
  }

  private async startWorkflow(workflowType: 'sparkJob' | 'sparkLease', input: SparkJobInput | SparkLeaseInput) {
    const workflowId = sparkJobWorkflowId(input.jobId);
    const { existing } = await startWithinQuota(this.client, { kind: 'spark-job', user: input.user }, this.maxInFlightPerUser, {
      workflowType, workflowId, taskQueue: this.taskQueue, args: [input],
      attributes: { user: input.user, kind: 'spark-job', namespace: input.namespace, cluster: input.cluster },
    });
    return { jobId: input.jobId, workflowId, existing };
  }

  /** Cluster-mode statuses do not name their mode (nor did any recorded before client mode). */
  async status(jobId: string, options?: ReadOptions): Promise<SparkJobStatus & Required<Pick<SparkJobStatus, 'deployMode'>>> {
    const status = await readWorkflowStatus(this.client, sparkJobWorkflowId(jobId), `spark job '${jobId}'`, sparkJobStatusQuery, (type, input) => (
      type === 'sparkLease' ? sparkLeaseStatusAtStart(input as SparkLeaseInput) : sparkJobStatusAtStart(input as SparkJobInput)
    ), options);
    return { ...status, deployMode: status.deployMode ?? 'cluster' };
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

  /** Renews a client-mode job's lease: its new expiry. Ended or expired: 409. */
  renewLease(jobId: string): Promise<SparkLease> {
    return this.onLease(jobId, (handle) => handle.executeUpdate(renewSparkLeaseUpdate));
  }

  /**
   * A fresh token of a client-mode job's account, sealed to `publicKey` (the caller's one-time
   * key); renews the lease. Ended or expired: 409; the token could not be had now: 503.
   */
  issueLeaseToken(jobId: string, publicKey: string): Promise<IssuedLeaseToken> {
    return this.onLease(jobId, (handle) => handle.executeUpdate(issueLeaseTokenUpdate, { args: [{ publicKey }] }));
  }

  /** The caller's end of a client-mode job (its driver's exit code); the identity is then removed. Ended: 409. */
  end(jobId: string, end: SparkJobEnd): Promise<void> {
    return this.onLease(jobId, (handle) => handle.signal(endSparkJobSignal, end));
  }

  /**
   * Acts on a client-mode job's lease: a job of another mode, or one that has ended, is a
   * conflict naming it; the workflow's refusal (the lease has ended or expired meanwhile) too.
   */
  private async onLease<T>(jobId: string, act: (handle: WorkflowHandle) => Promise<T>): Promise<T> {
    const what = `spark job '${jobId}'`;
    const handle = this.client.workflow.getHandle(sparkJobWorkflowId(jobId));
    return forWorkflow(what, async () => {
      const { status, type } = await handle.describe();
      if (type !== 'sparkLease') throw conflictError(`${what} runs in cluster mode: it has no lease`);
      if (status.name !== 'RUNNING') throw conflictError(`${what} has already ended (${status.name})`);
      try {
        return await this.client.withDeadline(Date.now() + leaseCallMs, () => act(handle));
      } catch (error) {
        if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw new DomainError('UNAVAILABLE', `${what}: no worker answered within ${leaseCallMs / 1000}s; try again`);
        if (!(error instanceof WorkflowUpdateFailedError)) throw error;
        const cause = error.cause;
        if (cause instanceof ApplicationFailure && cause.type === 'SparkLeaseEnded') throw conflictError(cause.message);
        // Kubernetes would not give a token now (retried meanwhile): the caller may ask again.
        throw new DomainError('UNAVAILABLE', `${what}: ${leafMessage(error)}`);
      }
    });
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

/** The innermost message of a failure chain: an activity's own words rather than the SDK's wrappers. */
function leafMessage(error: Error): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return (current as Error).message;
}
