import { workflowInfo } from '@temporalio/workflow';

/** Time to continue as new: the server suggests it, or the history has reached `eventLimit` events. */
export function historyIsLong(eventLimit: number): boolean {
  const { continueAsNewSuggested, historyLength } = workflowInfo();
  return continueAsNewSuggested || historyLength >= eventLimit;
}
