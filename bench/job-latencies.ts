import type { Client } from '@temporalio/client';
import type { SparkJobsClient } from '../src/client/spark-jobs.js';
import { timestampMillis } from '../src/client/timestamps.js';
import { sparkJobNames, type SparkJobInput } from '../src/domain/spark-job.js';
import { timeBetween } from './history-breakdown.js';

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
  const scheduled = new Map<string, { name: string; index: number }>();
  const at: Record<string, number> = {};
  const index: Record<string, number> = {};
  events.forEach((event, position) => {
    const id = String(event.eventId);
    if (event.activityTaskScheduledEventAttributes) {
      const name = event.activityTaskScheduledEventAttributes.activityType?.name ?? '';
      scheduled.set(id, { name, index: position });
      at[`scheduled:${name}`] ??= timestampMillis(event.eventTime);
      index[`scheduled:${name}`] ??= position;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) at[`started:${scheduled.get(String(started.scheduledEventId))?.name}`] ??= timestampMillis(event.eventTime);
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const name = scheduled.get(String(completed.scheduledEventId))?.name;
      at[`completed:${name}`] = timestampMillis(event.eventTime);
      index[`completed:${name}`] = position;
    }
  });
  const accepted = timestampMillis(events[0]!.eventTime);
  const closed = timestampMillis(events.at(-1)!.eventTime);
  // The submission's started event is written with its completion, out of time order: its wait is added apart.
  const setupGaps = timeBetween(events, 0, index['scheduled:submitSparkJob']!);
  setupGaps.set('activity task scheduled → activity task started', at['started:submitSparkJob']! - at['scheduled:submitSparkJob']!);
  return {
    setup: at['started:submitSparkJob']! - accepted,
    teardown: closed - at['completed:watchPodUntilEnd']!,
    setupGaps,
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
