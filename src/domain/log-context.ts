import type { ComputeKind } from './labels.js';
import { parseWorkflowId } from './workflow-ids.js';

/** The field naming a workflow's job, kernel or cluster in log lines, as clients know it. */
const idFields: Record<ComputeKind, string> = { 'spark-job': 'jobId', kernel: 'kernelId', cluster: 'cluster' };

/**
 * Whose compute a log line is about: the DSS user, the kind, and the job, kernel or cluster id,
 * each only when known. Operators search logs by these; none of them is a secret (all are in
 * workflow ids and search attributes already).
 */
export function computeLogContext(workflowId: string, kind: string | undefined, user: string | undefined): Record<string, string> {
  const context: Record<string, string> = user ? { dssUser: user } : {};
  const named = parseWorkflowId(workflowId);
  if (named && named.kind !== 'quota' && named.kind === kind) {
    context.computeKind = named.kind;
    context[idFields[named.kind]] = named.id;
  }
  return context;
}

/** The activity header that carries a workflow's log context to its activities' log lines. */
export const logContextHeader = 'compute-orchestrator-log-context';
