import type { Client } from '@temporalio/client';
import { timestampMillis } from '../src/client/timestamps.js';

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
