import { defaultPayloadConverter, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { Headers } from '@temporalio/common';
import { computeLogContext, logContextHeader } from '../domain/log-context.js';
import { searchAttributeKeys } from '../domain/search-attributes.js';

/** From the typed search attributes the client set at start, so it holds from a workflow's first line. */
function currentLogContext(): Record<string, string> {
  const { workflowId, typedSearchAttributes } = workflowInfo();
  return computeLogContext(workflowId, typedSearchAttributes.get(searchAttributeKeys.computeKind), typedSearchAttributes.get(searchAttributeKeys.dssUser));
}

/**
 * Activities learn the user from a header, not an argument, so no activity signature changes. A
 * header is recorded in the scheduling event but not compared on replay, and skips the payload
 * codec: it carries only what the workflow id and search attributes show in clear anyway.
 */
function withLogContext<T extends { headers: Headers }>(input: T): T {
  return { ...input, headers: { ...input.headers, [logContextHeader]: defaultPayloadConverter.toPayload(currentLogContext()) } };
}

/** Every workflow log line, and through the header every activity's, names the user and the job, kernel or cluster. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [{
    getLogAttributes: (attributes, next) => next({ ...attributes, ...currentLogContext() }),
    scheduleActivity: (input, next) => next(withLogContext(input)),
    scheduleLocalActivity: (input, next) => next(withLogContext(input)),
  }],
});
