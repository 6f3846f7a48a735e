import proto from '@temporalio/proto';
import type { TemporalHandle } from './temporal.js';
import { timestampMillis } from './timestamps.js';

const servingStatus = proto.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING;

/** A poll younger than this means a live worker: long polls last about a minute. */
const pollerFreshnessMs = 90_000;
/** Each question's bound: a Temporal that is away makes the check answer "not ok" soon, not after the client's retries. */
const questionDeadlineMs = 5_000;

export interface HealthReport {
  ok: boolean;
  temporal: { ok: boolean; error?: string };
  worker: { ok: boolean; pollers: number; error?: string };
}

/** Temporal answers its health check, and at least one worker polled the task queue recently. */
export async function checkHealth({ client, connection }: Pick<TemporalHandle, 'client' | 'connection'>, taskQueue: string, now = Date.now()): Promise<HealthReport> {
  const report: HealthReport = { ok: false, temporal: { ok: false }, worker: { ok: false, pollers: 0 } };
  try {
    const health = await connection.withDeadline(Date.now() + questionDeadlineMs, () => connection.healthService.check({}));
    report.temporal.ok = health.status === servingStatus;
    if (!report.temporal.ok) report.temporal.error = `health status ${String(health.status)}`;
  } catch (error) {
    report.temporal.error = (error as Error).message;
    return report;
  }
  try {
    const description = await connection.withDeadline(Date.now() + questionDeadlineMs, () => client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    }));
    const live = (description.pollers ?? []).filter((poller) => now - timestampMillis(poller.lastAccessTime) < pollerFreshnessMs);
    report.worker = live.length > 0 ? { ok: true, pollers: live.length } : { ok: false, pollers: 0, error: `no worker polls task queue '${taskQueue}'` };
  } catch (error) {
    report.worker.error = (error as Error).message;
  }
  report.ok = report.temporal.ok && report.worker.ok;
  return report;
}
