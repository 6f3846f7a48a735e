import proto from '@temporalio/proto';
import { localActivityMarker } from '../src/client/local-activity-markers.js';
import { timestampMillis } from '../src/client/timestamps.js';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

/** `WORKFLOW_TASK_SCHEDULED` → `workflow task scheduled`. */
function eventName(event: HistoryEvent): string {
  const name = proto.temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? 'unknown';
  return name.replace(/^EVENT_TYPE_/, '').toLowerCase().replaceAll('_', ' ');
}

/** A local activity's marker is recorded with its workflow task's completion; it says when the activity ended. */
function localActivityEnd(event: HistoryEvent): { name: string; at: number } | undefined {
  const marker = localActivityMarker(event);
  return marker?.completeTime ? { name: `local activity ${marker.activityType} ended`, at: timestampMillis(marker.completeTime) } : undefined;
}

/**
 * Where the time between two events of a history went: each gap between consecutive moments is
 * named by the pair ("workflow task scheduled → workflow task started" is the wait for a worker to
 * take the task). Local activities count at their end, inside the workflow task that ran them, so
 * "local activity X ended → workflow task completed" is what the worker took after its last one.
 * Gaps of the same pair are summed.
 */
export function timeBetween(events: HistoryEvent[], from: number, to: number): Map<string, number> {
  const moments = events.slice(from, to + 1)
    .map((event) => localActivityEnd(event) ?? { name: eventName(event), at: timestampMillis(event.eventTime) })
    .sort((a, b) => a.at - b.at);
  const gaps = new Map<string, number>();
  for (let index = 1; index < moments.length; index++) {
    const pair = `${moments[index - 1]!.name} → ${moments[index]!.name}`;
    gaps.set(pair, (gaps.get(pair) ?? 0) + moments[index]!.at - moments[index - 1]!.at);
  }
  return gaps;
}

/** Mean milliseconds per history of each gap, largest first, as table rows. */
export function meanGapRows(perHistory: Array<Map<string, number>>): string[] {
  const sums = new Map<string, number>();
  for (const gaps of perHistory) for (const [pair, ms] of gaps) sums.set(pair, (sums.get(pair) ?? 0) + ms);
  return [...sums].sort(([, a], [, b]) => b - a).filter(([, ms]) => ms / perHistory.length >= 0.5)
    .map(([pair, ms]) => `| ${pair} | ${(ms / perHistory.length).toFixed(1)} |`);
}

/** When and where in a history each activity type was first scheduled and started, and last completed. */
export interface ActivityMoments {
  /** `scheduled:<type>`, `started:<type>`, `completed:<type>` → epoch ms. */
  at: Record<string, number>;
  /** `scheduled:<type>`, `completed:<type>` → position in the history. */
  index: Record<string, number>;
}

export function activityMoments(events: HistoryEvent[]): ActivityMoments {
  const scheduled = new Map<string, string>();
  const at: Record<string, number> = {};
  const index: Record<string, number> = {};
  events.forEach((event, position) => {
    const scheduling = event.activityTaskScheduledEventAttributes;
    if (scheduling) {
      const name = scheduling.activityType?.name ?? '';
      scheduled.set(String(event.eventId), name);
      at[`scheduled:${name}`] ??= timestampMillis(event.eventTime);
      index[`scheduled:${name}`] ??= position;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) at[`started:${scheduled.get(String(started.scheduledEventId))}`] ??= timestampMillis(event.eventTime);
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const name = scheduled.get(String(completed.scheduledEventId));
      at[`completed:${name}`] = timestampMillis(event.eventTime);
      index[`completed:${name}`] = position;
    }
  });
  return { at, index };
}

/**
 * Where the time from the workflow's start to `activity`'s start went. An activity's started
 * event is written with its completion, out of time order: its wait for a worker is added apart.
 */
export function timeUntilActivityStarted(events: HistoryEvent[], activity: string): { total: number; gaps: Map<string, number> } {
  const { at, index } = activityMoments(events);
  const gaps = timeBetween(events, 0, index[`scheduled:${activity}`]!);
  gaps.set('activity task scheduled → activity task started', at[`started:${activity}`]! - at[`scheduled:${activity}`]!);
  return { total: at[`started:${activity}`]! - timestampMillis(events[0]!.eventTime), gaps };
}
