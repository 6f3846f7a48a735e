import type { Client } from '@temporalio/client';
import type { SparkJobsClient } from '../src/client/spark-jobs.js';
import { timestampMillis } from '../src/client/timestamps.js';
import { sparkJobNames, type SparkJobInput } from '../src/domain/spark-job.js';

/**
 * Setup and teardown latencies of one finished Spark job, read from its history:
 *  - setup: job accepted (workflow started) → spark-submit started (its activity starts);
 *  - teardown: driver seen ended (watch activity completed) → execution closed.
 */
export async function latencies(client: Client, workflowId: string): Promise<{ setup: number; teardown: number }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map<string, string>();
  const at: Record<string, number> = {};
  for (const event of events) {
    const id = String(event.eventId);
    if (event.activityTaskScheduledEventAttributes) scheduled.set(id, event.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    const started = event.activityTaskStartedEventAttributes;
    if (started) at[`started:${scheduled.get(String(started.scheduledEventId))}`] ??= timestampMillis(event.eventTime);
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) at[`completed:${scheduled.get(String(completed.scheduledEventId))}`] = timestampMillis(event.eventTime);
  }
  const accepted = timestampMillis(events[0]!.eventTime);
  const closed = timestampMillis(events.at(-1)!.eventTime);
  return {
    setup: at['started:submitSparkJob']! - accepted,
    teardown: closed - at['completed:watchPodUntilEnd']!,
  };
}

/** Starts `job`, waits until its workflow has closed, and reads its latencies. */
export async function runAndMeasure(jobs: SparkJobsClient, client: Client, job: SparkJobInput): Promise<{ setup: number; teardown: number }> {
  const { workflowId } = sparkJobNames(job.jobId);
  await jobs.start(job);
  await client.workflow.getHandle(workflowId).result();
  return latencies(client, workflowId);
}
