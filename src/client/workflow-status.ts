import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type QueryDefinition } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '../domain/errors.js';
import { forWorkflow } from './workflow-errors.js';

/**
 * How long one query may wait for a worker to answer it. Longer than the workers' sticky queue
 * timeout (the SDK's 10 s): a query sent to a worker that died is handed to the workflow's own
 * task queue, where another worker answers it, only once that timeout has passed.
 */
const queryAttemptMs = 12_000;
const retryPauseMs = 250;
/** How long a read keeps trying before it says the answer cannot be had now. */
const defaultPatienceMs = 15_000;

export interface ReadOptions {
  /** 0: one attempt (lists, which skip what they cannot read). */
  patienceMs?: number;
}

/**
 * What a closed workflow recorded at its end: its result, or the status its failure carries (the
 * workflows fail with their final status as the failure's details). Read from the history alone,
 * so no worker is needed. Undefined for a run cancelled or terminated by hand, which records none.
 */
async function recordedResult<T>(handle: WorkflowHandle): Promise<T | undefined> {
  try {
    return await handle.result() as T;
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    return error.cause instanceof ApplicationFailure ? error.cause.details?.[0] as T | undefined : undefined;
  }
}

const problemOf = (error: unknown): string => (error instanceof Error ? error.message.replace(/^\d+ [A-Z_]+: /, '') : String(error));

/**
 * Asks a workflow `query`; while it cannot be answered (no worker polls its task queue, or a task
 * is in flight as the workflow ends) it is asked again for a while, and then the read fails as
 * UNAVAILABLE (503) saying why, never as an internal error. An unknown workflow is NOT_FOUND.
 */
export async function queryWorkflow<T>(client: Client, workflowId: string, what: string, query: QueryDefinition<T>, options: ReadOptions = {}): Promise<T> {
  return await readPatiently(client, workflowId, what, options, (handle) => handle.query(query));
}

/**
 * The status a workflow had as it started, from its type, its input and its start (epoch ms): what
 * a read answers for a workflow closed before any task of it completed (terminated as it was
 * started), whose query no worker can answer.
 */
export type StatusAtStart<T> = (workflowType: string, input: unknown, startedAt: number) => T;

/** Events read to tell whether a closed workflow ever ran: more than such a run ever records. */
const unrunHistoryEvents = 100;

/** The input of a workflow that closed before any task of it completed; undefined if one did. */
async function unrunInput(client: Client, workflowId: string): Promise<{ input: unknown } | undefined> {
  const { history, nextPageToken } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace, execution: { workflowId }, maximumPageSize: unrunHistoryEvents,
  });
  const events = history?.events ?? [];
  if (nextPageToken?.length || events.some((event) => event.workflowTaskCompletedEventAttributes)) return undefined;
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  if (!started) return undefined;
  const [input] = await decodeArrayFromPayloads(client.options.loadedDataConverter, started.input?.payloads);
  return { input };
}

/**
 * The status of the job, kernel or cluster a workflow runs. A closed workflow's is what it recorded
 * at its end, so it is read with no worker up; a running one's (or one closed by hand) comes from
 * its query, asked as `queryWorkflow` does; one closed before it ever ran answers `atStart`.
 */
export async function readWorkflowStatus<T>(
  client: Client, workflowId: string, what: string, query: QueryDefinition<T>, atStart: StatusAtStart<T>, options: ReadOptions = {},
): Promise<T> {
  return await readPatiently(client, workflowId, what, options, async (handle) => {
    const { status, type, startTime } = await handle.describe();
    if (status.name === 'RUNNING') return await handle.query(query);
    const recorded = await recordedResult<T>(handle);
    if (recorded !== undefined) return recorded;
    try {
      return await handle.query(query);
    } catch (error) {
      const unrun = await unrunInput(client, workflowId);
      if (unrun === undefined) throw error;
      return atStart(type, unrun.input, startTime.getTime());
    }
  });
}

async function readPatiently<T>(client: Client, workflowId: string, what: string, options: ReadOptions, read: (handle: WorkflowHandle) => Promise<T>): Promise<T> {
  const handle = client.workflow.getHandle(workflowId);
  const giveUpAt = Date.now() + (options.patienceMs ?? defaultPatienceMs);
  for (;;) {
    let problem: string;
    try {
      return await forWorkflow(what, () => client.withDeadline(Date.now() + queryAttemptMs, () => read(handle)));
    } catch (error) {
      // "Already ended" can only be a race with the workflow's end: the next look reads its record.
      if (error instanceof DomainError && error.code !== 'CONFLICT') throw error;
      problem = problemOf(error);
    }
    if (Date.now() + retryPauseMs > giveUpAt) {
      throw new DomainError('UNAVAILABLE', `${what} cannot be read now (${problem}): its workflow's worker did not answer; try again once a worker runs`);
    }
    await sleep(retryPauseMs);
  }
}
