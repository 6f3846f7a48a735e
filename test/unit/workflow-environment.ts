import { Context } from '@temporalio/activity';
import type { WorkflowHandleWithFirstExecutionRunId, WorkflowStartOptions } from '@temporalio/client';
import { defaultPayloadConverter, type Workflow, type WorkflowResultType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import type { Activities } from '../../src/activities/index.js';
import { watchTaskQueue } from '../../src/domain/task-queues.js';
import { localActivityMarker } from '../../src/client/local-activity-markers.js';
import { toolBinary } from '../../src/local/paths.js';

/**
 * Workflow tests on Temporal's time-skipping test server (built by
 * tools/build-temporal-test-server.sh), activities mocked. The server skips time only while the
 * test awaits a workflow's result and no activity is scheduled or running anywhere: a kernel's pod
 * watch holds its clock to wall time, as does the test while it acts on a workflow.
 */

const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

export type ActivityName = keyof Activities;
// The mocks stand in for activities of many signatures; each test knows what its mock takes and returns.
export type ActivityMocks = Partial<Record<ActivityName, (input: any) => Promise<unknown>>>;

interface ActivityCall {
  name: ActivityName;
  input: unknown;
}

/** The calls the mocks saw, in order. */
export class CallLog {
  readonly calls: ActivityCall[] = [];

  names(): ActivityName[] {
    return this.calls.map((call) => call.name);
  }

  inputsOf(name: ActivityName): unknown[] {
    return this.calls.filter((call) => call.name === name).map((call) => call.input);
  }

  /** Resolves once `name` has been called `times` times. */
  async until(name: ActivityName, times = 1): Promise<void> {
    await poll(() => this.inputsOf(name).length >= times, () => `${name} called ${times} time(s); calls: ${this.names().join(', ')}`);
  }
}

/** Waits, in wall time, until `done` holds; `what` says what was awaited when it never does. */
export async function poll(done: () => boolean | Promise<boolean>, what: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!await done()) {
    if (Date.now() > deadline) throw new Error(`not within 10 s: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An activity that runs until its workflow cancels it, as a watch or a wait does; it heartbeats, which is how it learns. */
export async function runsUntilCancelled(): Promise<never> {
  const context = Context.current();
  for (;;) {
    context.heartbeat();
    await context.sleep(50);
  }
}

export type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

/** When an event happened, in workflow (server) time: epoch ms. */
function eventTime(event: HistoryEvent): number {
  return Number(event.eventTime!.seconds) * 1000 + Math.floor((event.eventTime!.nanos ?? 0) / 1e6);
}

/** When the workflow run began, in workflow time. */
export const runStartedAt = (history: History): number => eventTime(history.events![0]!);

/** When an activity of `type` was scheduled for the `nth` time (0-based), in workflow time. */
export function activityScheduledAt(history: History, type: ActivityName, nth = 0): number {
  const scheduled = history.events!.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === type);
  if (!scheduled[nth]) throw new Error(`the history has no activity ${type} #${nth}`);
  return eventTime(scheduled[nth]);
}

/**
 * When the workflow task that recorded local activity `type` (its `nth` run, 0-based) started, in
 * workflow time: a local activity leaves no event of its own, only a marker at its task's end.
 */
export function localActivityTaskStartedAt(history: History, type: ActivityName, nth = 0): number {
  const events = history.events!;
  const marker = events.map((event, index) => (localActivityMarker(event)?.activityType === type ? index : -1)).filter((index) => index >= 0)[nth];
  if (marker === undefined) throw new Error(`the history has no local activity ${type} #${nth}`);
  for (let index = marker - 1; index >= 0; index--) {
    if (events[index]!.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) return eventTime(events[index]!);
  }
  throw new Error(`the local activity ${type} #${nth} has no workflow task before it`);
}

/** When the workflow task that the run's last timer woke started, in workflow time. */
export function lastTimerTaskStartedAt(history: History): number {
  const events = history.events!;
  const fired = events.map((event) => event.eventType).lastIndexOf(EventType.EVENT_TYPE_TIMER_FIRED);
  const started = events.slice(fired).find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  if (fired < 0 || !started) throw new Error('the history has no timer that woke a workflow task');
  return eventTime(started);
}

/** Each signal named `name` the run received: when, in workflow time, and its first argument. */
export const signals = (history: History, name: string): Array<{ at: number; input: unknown }> => history.events!
  .filter((event) => event.workflowExecutionSignaledEventAttributes?.signalName === name)
  .map((event) => {
    const [payload] = event.workflowExecutionSignaledEventAttributes!.input?.payloads ?? [];
    return { at: eventTime(event), input: payload ? defaultPayloadConverter.fromPayload(payload) : undefined };
  });

interface Execution<W extends Workflow> {
  handle: WorkflowHandleWithFirstExecutionRunId<W>;
  result?: WorkflowResultType<W>;
  error?: unknown;
  calls: CallLog;
  /** Of the last run. */
  history: History;
}

export interface ExecuteOptions<W extends Workflow> {
  workflowId: string;
  args: Parameters<W>;
  mocks: ActivityMocks;
  /** Runs on the workers' task queue before the workflow starts: other workflows it talks to. */
  before?: (taskQueue: string) => Promise<void>;
  /** Acts on the workflow while it runs (in wall time), before its result is awaited (in skipped time). */
  meanwhile?: (handle: WorkflowHandleWithFirstExecutionRunId<W>, calls: CallLog) => Promise<void>;
}

/**
 * The Java test server, tried three times: the SDK gives it a fixed 5 s to answer, which a JVM
 * starting on a busy 2-core machine can miss.
 */
export async function startTestServer(attemptsLeft = 3): Promise<TestWorkflowEnvironment> {
  try {
    return await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: toolBinary('temporal-test-server') } } });
  } catch (error) {
    if (attemptsLeft <= 1 || !/did not start within/.test(String(error))) throw error;
    return startTestServer(attemptsLeft - 1);
  }
}

export class WorkflowEnvironment {
  private constructor(readonly temporal: TestWorkflowEnvironment, private readonly workflowBundle: WorkflowBundle) {}

  static async start(): Promise<WorkflowEnvironment> {
    // Workflows log every phase, mocks fail on purpose and the test server lacks capabilities the
    // SDK warns about: only errors are worth a line in the tests' output.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    const [temporal, workflowBundle] = await Promise.all([
      startTestServer(),
      bundleWorkflowCode({ workflowsPath, logger: Runtime.instance().logger }),
    ]);
    return new WorkflowEnvironment(temporal, workflowBundle);
  }

  async teardown(): Promise<void> {
    await this.temporal.teardown();
  }

  /**
   * Runs a workflow to its end with workers for a task queue of its own and its watch queue, as
   * the real worker has them. Heartbeats go out at once, so that a cancelled activity learns it
   * within moments, not 80% of its heartbeat timeout later.
   */
  async execute<W extends Workflow>(workflow: W, options: ExecuteOptions<W>): Promise<Execution<W>> {
    const calls = new CallLog();
    const activities = Object.fromEntries(Object.entries(options.mocks).map(([name, mock]) => [name, (input: unknown) => {
      calls.calls.push({ name: name as ActivityName, input });
      return mock(input);
    }]));
    const taskQueue = `unit-${Math.random().toString(36).slice(2)}`;
    const common = { connection: this.temporal.nativeConnection, activities, maxHeartbeatThrottleInterval: 50 };
    const worker = await Worker.create({ ...common, taskQueue, workflowBundle: this.workflowBundle });
    const watcher = await Worker.create({ ...common, taskQueue: watchTaskQueue(taskQueue) });
    return watcher.runUntil(worker.runUntil(async () => {
      await options.before?.(taskQueue);
      // Parameters<W> of a generic W is not provably WorkflowStartOptions' args tuple.
      const handle = await this.temporal.client.workflow.start(workflow, { taskQueue, workflowId: options.workflowId, args: options.args } as unknown as WorkflowStartOptions<W>);
      await options.meanwhile?.(handle, calls);
      const outcome = await handle.result().then((result) => ({ result }), (error: unknown) => ({ error }));
      return { ...outcome, handle, calls, history: await handle.fetchHistory() };
    }));
  }
}
