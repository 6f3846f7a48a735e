import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { janitor } from '../workflows/janitor.js';
import { janitorScheduleId, type JanitorInput, type JanitorReport } from '../domain/janitor.js';

export interface JanitorSchedule {
  everySeconds: number;
  graceSeconds: number;
}

/** The janitor of one task queue: its Schedule, runs on demand, and the last run's report. */
export class JanitorClient {
  constructor(private readonly client: Client, private readonly taskQueue: string) {}

  /**
   * Creates the Schedule, or brings an existing one to this interval and grace: every worker of
   * the queue calls this at start, so it must be idempotent. Overlap SKIP: a sweep still running
   * is never joined by a second.
   */
  async ensureSchedule({ everySeconds, graceSeconds }: JanitorSchedule): Promise<void> {
    const scheduleId = janitorScheduleId(this.taskQueue);
    const action = {
      type: 'startWorkflow' as const, workflowType: 'janitor', taskQueue: this.taskQueue,
      args: [{ graceSeconds } satisfies JanitorInput],
    };
    const spec = { intervals: [{ every: `${everySeconds}s` as const }] };
    try {
      await this.client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await this.client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action: { ...previous.action, ...action } }));
    }
  }

  /** Runs a sweep now and waits for its report. */
  async runNow(graceSeconds: number): Promise<JanitorReport> {
    return this.client.workflow.execute<typeof janitor>('janitor', {
      workflowId: `janitor-${this.taskQueue}-run-${randomUUID()}`, taskQueue: this.taskQueue, args: [{ graceSeconds } satisfies JanitorInput],
    });
  }

  /** The report of the latest finished sweep (scheduled or on demand); undefined before the first. */
  async lastReport(): Promise<JanitorReport | undefined> {
    const query = `WorkflowType="janitor" AND TaskQueue=${JSON.stringify(this.taskQueue)} AND ExecutionStatus="Completed"`;
    let latest: { workflowId: string; runId: string; closedAt: number } | undefined;
    // Visibility lists the most recent first; a few more than one cover runs closing together.
    let seen = 0;
    for await (const execution of this.client.workflow.list({ query, pageSize: 20 })) {
      const closedAt = execution.closeTime?.getTime() ?? 0;
      if (!latest || closedAt > latest.closedAt) latest = { workflowId: execution.workflowId, runId: execution.runId, closedAt };
      if (++seen >= 20) break;
    }
    return latest ? this.client.workflow.getHandle<typeof janitor>(latest.workflowId, latest.runId).result() : undefined;
  }
}
