import { clusterWorkflowId, kernelWorkflowId, sparkJobWorkflowId } from '../../src/domain/workflow-ids.js';
import type { Plan } from './plan.js';

/** The fields of a job's, kernel's or cluster's status that the soak reads. */
export interface ObservedStatus {
  phase: string;
  cleanedUp?: boolean;
  exitCode?: number;
  error?: string;
  namespace?: string;
  /** A kernel's pod, its launch and its last use (ISO 8601), the pods it started again. */
  pod?: string;
  launchedAt?: string;
  lastActivity?: string;
  restarts?: number;
  /** A Spark job's driver pod and temporary account. */
  driverPod?: string;
  serviceAccount?: string;
}

/** What the soak saw of one job, kernel or cluster it asked for; times in epoch ms. */
export interface SoakItem {
  plan: Plan;
  workflowId: string;
  /** The start request's final answer: 202 (or 200, already there) when accepted. */
  startStatus?: number;
  /** The error code of a refusal (LIMIT_EXCEEDED, …). */
  refusedCode?: string;
  acceptedAt?: number;
  /** When the client asked for each step it takes; `evict`: when the soak evicted the kernel's pod. */
  asked: { cancel?: number; shutdown?: number; evict?: number; destroy?: number };
  /** Every phase seen, in order, without repeats. */
  phases: string[];
  /** The first time a phase other than the starting ones was seen (RUNNING, or an end). */
  readyAt?: number;
  /** The status then: a kernel's first launch time, before any restart moves it. */
  readyStatus?: ObservedStatus;
  /** The first ended phase seen, and when. */
  ended?: { phase: string; at: number };
  /** The last status answered. */
  last?: ObservedStatus;
  /** Set when the soak terminated the workflow by hand. */
  terminatedAt?: number;
  /** The soak's own client failed following it (not the orchestrator's doing). */
  clientError?: string;
  /** A status answered after the end with another ended phase: the item ended twice. */
  endedAgainAs?: string;
}

export const endedPhases: Record<Plan['kind'], readonly string[]> = {
  'spark-job': ['SUCCEEDED', 'FAILED', 'CANCELLED'],
  kernel: ['CULLED', 'STOPPED', 'FAILED'],
  cluster: ['DELETED', 'FAILED'],
};

export function workflowIdOf(plan: Plan): string {
  switch (plan.kind) {
    case 'spark-job': return sparkJobWorkflowId(plan.id);
    case 'kernel': return kernelWorkflowId(plan.id);
    case 'cluster': return clusterWorkflowId(plan.name);
  }
}

export function newItem(plan: Plan): SoakItem {
  return { plan, workflowId: workflowIdOf(plan), asked: {}, phases: [] };
}

export const isAccepted = (item: SoakItem): boolean => item.startStatus === 202 || item.startStatus === 200;

/** Records a status answer: phases seen, the first readiness and end, an end that changes. */
export function observe(item: SoakItem, status: ObservedStatus): void {
  const { phase } = status;
  if (item.phases.at(-1) !== phase) item.phases.push(phase);
  item.last = status;
  if (item.readyAt === undefined && !['PENDING', 'SUBMITTING', 'STARTING', 'PROVISIONING'].includes(phase)) {
    item.readyAt = Date.now();
    item.readyStatus = status;
  }
  if (!endedPhases[item.plan.kind].includes(phase)) return;
  if (!item.ended) item.ended = { phase, at: Date.now() };
  else if (item.ended.phase !== phase) item.endedAgainAs = phase;
}
