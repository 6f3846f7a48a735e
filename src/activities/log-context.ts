import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { logContextHeader } from '../domain/log-context.js';

/**
 * Adds the workflow's log context (src/workflows/log-context.ts) to every `Context.current().log`
 * line of an activity, beside the SDK's workflowId and activity fields. One closure per execution:
 * the inbound side reads the header, the outbound side hands it to the logger.
 */
export const activityLogContext: ActivityInterceptorsFactory = () => {
  let context: Record<string, unknown> = {};
  return {
    inbound: {
      execute(input, next) {
        const header = input.headers[logContextHeader];
        if (header) context = defaultPayloadConverter.fromPayload<Record<string, unknown>>(header);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (attributes, next) => next({ ...attributes, ...context }),
    },
  };
};
