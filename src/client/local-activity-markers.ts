import type { temporal } from '@temporalio/proto';

/** What a local activity's marker in a history says: the activity's type and, once it ended, when. */
export interface LocalActivityMarker {
  activityType: string;
  completeTime?: { seconds: number; nanos: number };
}

/**
 * The local activity that history event `event` records, if it is such a marker: a local activity
 * leaves no event of its own, only this marker, written with its workflow task's completion.
 */
export function localActivityMarker(event: temporal.api.history.v1.IHistoryEvent): LocalActivityMarker | undefined {
  const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  const marker = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string; complete_time?: { seconds: number; nanos: number } };
  return marker.activity_type ? { activityType: marker.activity_type, completeTime: marker.complete_time } : undefined;
}
