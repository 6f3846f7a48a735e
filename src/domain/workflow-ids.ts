import { validationError } from './errors.js';
import { computeKinds, type ComputeKind } from './labels.js';

/**
 * Every workflow id the orchestrator gives, and its inverse: the only place that knows the rule.
 * A job's, kernel's or cluster's id is `<kind>-<id>` (the client's id is its idempotency key); a
 * user's quota is `<kind>-quota-<user>`. So that the two never meet, no job or kernel id may start
 * with `quota-` (`kernel-quota-bob` would otherwise be both bob's quota and the kernel `quota-bob`).
 */

export type QuotaKind = Extract<ComputeKind, 'kernel' | 'spark-job'>;

const reservedIdPrefix = 'quota-';

export const computeWorkflowId = (kind: ComputeKind, id: string): string => `${kind}-${id}`;
export const sparkJobWorkflowId = (jobId: string): string => computeWorkflowId('spark-job', jobId);
export const kernelWorkflowId = (kernelId: string): string => computeWorkflowId('kernel', kernelId);
export const clusterWorkflowId = (name: string): string => computeWorkflowId('cluster', name);
/** One quota workflow per user and kind: `kernel-quota-alice`, `spark-job-quota-alice`. */
export const userQuotaWorkflowId = (kind: QuotaKind, user: string): string => computeWorkflowId(kind, `${reservedIdPrefix}${user}`);

/** Refuses a client's job or kernel id that a quota workflow's id could be mistaken for (400 naming `field`). */
export function checkClientId(field: string, id: string): void {
  if (id.startsWith(reservedIdPrefix)) throw validationError(field, `${field} must not start with '${reservedIdPrefix}': such ids are the user quotas' own`);
}

export type ParsedWorkflowId =
  | { kind: ComputeKind; id: string }
  | { kind: 'quota'; of: QuotaKind; user: string };

/** What a workflow id names; undefined for ids the orchestrator does not give (the janitor's, others'). */
export function parseWorkflowId(workflowId: string): ParsedWorkflowId | undefined {
  for (const kind of computeKinds) {
    if (!workflowId.startsWith(`${kind}-`)) continue;
    const id = workflowId.slice(kind.length + 1);
    if (kind !== 'cluster' && id.startsWith(reservedIdPrefix)) return { kind: 'quota', of: kind, user: id.slice(reservedIdPrefix.length) };
    return id ? { kind, id } : undefined;
  }
  return undefined;
}

/** The job id, kernel id or cluster name of a workflow of `kind`; undefined when the id is not of that kind. */
export function computeIdOf(kind: ComputeKind, workflowId: string): string | undefined {
  const parsed = parseWorkflowId(workflowId);
  return parsed?.kind === kind ? parsed.id : undefined;
}
