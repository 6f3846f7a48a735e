import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into an encoded attribute, so the payload codec encrypts
 * them too: they may quote user input (a Kubernetes message naming a value, spark-submit's
 * output). Loaded by path (Temporal's DataConverter), so that the workflow sandbox uses it as well.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
