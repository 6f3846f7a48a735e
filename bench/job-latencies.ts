import type { Client } from '@temporalio/client';
import type { SparkJobsClient } from '../src/client/spark-jobs.js';
import { timestampMillis } from '../src/client/timestamps.js';
import { sparkJobNames, type SparkJobInput } from '../src/domain/spark-job.js';
import { activityMoments, timeBetween, timeUntilActivityStarted } from './history-breakdown.js';

/**
 * Setup and teardown latencies of one finished Spark job, read from its history:
 *  - setup: job accepted (workflow started) → spark-submit started (its activity starts);
 *  - teardown: driver seen ended (watch activity completed) → execution closed.
 */
export interface JobLatencies {
  setup: number;
  teardown: number;
  /** Where setup and teardown time went, by pair of consecutive history events (see timeBetween). */
  setupGaps: Map<string, number>;
  teardownGaps: Map<string, number>;
}

export async function latencies(client: Client, workflowId: string): Promise<JobLatencies> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const { at, index } = activityMoments(events);
  const setup = timeUntilActivityStarted(events, 'submitSparkJob');
  return {
    setup: setup.total,
    teardown: timestampMillis(events.at(-1)!.eventTime) - at['completed:watchPodUntilEnd']!,
    setupGaps: setup.gaps,
    teardownGaps: timeBetween(events, index['completed:watchPodUntilEnd']!, events.length - 1),
  };
}

/** Starts `job`, waits until its workflow has closed, and reads its latencies. */
export async function runAndMeasure(jobs: SparkJobsClient, client: Client, job: SparkJobInput): Promise<JobLatencies> {
  const { workflowId } = sparkJobNames(job.jobId);
  await jobs.start(job);
  await client.workflow.getHandle(workflowId).result();
  return latencies(client, workflowId);
}
