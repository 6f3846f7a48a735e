import { percentile } from '../percentile.js';
import type { RecordedCall } from './api-client.js';
import type { Downtime, FaultKind } from './faults.js';
import type { Described, InvariantName, Violation } from './invariants.js';
import { invariantNames } from './invariants.js';
import { isAccepted, type SoakItem } from './items.js';

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
}

export interface SoakReport {
  seed: number;
  minutes: number;
  faults: boolean;
  load: {
    requested: Record<string, number>;
    accepted: Record<string, number>;
    /** Refused starts by kind and error code (LIMIT_EXCEEDED when a user is at the limit). */
    refused: Record<string, Record<string, number>>;
    /** Ended by kind and phase; TERMINATED for those the soak terminated by hand. */
    ended: Record<string, Record<string, number>>;
    apiCalls: number;
    /** Kernel pods the soak deleted behind the orchestrator's back: each session must start its pod again. */
    kernelPodsEvicted: number;
  };
  faultsInjected: Record<FaultKind, number>;
  /** The workers' Kubernetes requests through the fault proxy: received, failed by status, cut by an outage. */
  kubernetesFaults: Record<string, number>;
  downtime: Downtime[];
  /** Faults the soak could not inject or undo: the run is then not a valid soak. */
  faultErrors: string[];
  /** Milliseconds. */
  latencies: Record<string, LatencySummary>;
  quotaSamples: number;
  historiesScanned: number;
  /** Driver pods Spark's submission deleted when a later call failed, then submitted again (not a second driver: never two at once). */
  driversResubmittedAfterRollback: number;
  violations: Violation[];
  violationCounts: Record<InvariantName, number>;
  /** Every job, kernel and cluster asked for, with what was seen of it; times in ms since the load started. */
  items: ItemSummary[];
}

export interface ItemSummary {
  workflowId: string;
  plan: SoakItem['plan'];
  startStatus?: number;
  refusedCode?: string;
  acceptedAt?: number;
  readyAt?: number;
  ended?: { phase: string; at: number };
  terminatedAt?: number;
  asked: Record<string, number>;
  phases: string[];
  error?: string;
  clientError?: string;
}

/** Each item, its times relative to `startedAt`, for finding out afterwards what a violation or a slow phase went through. */
export function itemSummaries(items: SoakItem[], startedAt: number): ItemSummary[] {
  const since = (at: number | undefined) => (at === undefined ? undefined : at - startedAt);
  return items.map((item) => ({
    workflowId: item.workflowId, plan: item.plan, startStatus: item.startStatus, refusedCode: item.refusedCode,
    acceptedAt: since(item.acceptedAt), readyAt: since(item.readyAt), ended: item.ended && { phase: item.ended.phase, at: item.ended.at - startedAt },
    terminatedAt: since(item.terminatedAt), asked: Object.fromEntries(Object.entries(item.asked).map(([step, at]) => [step, at - startedAt])),
    phases: item.phases, error: item.last?.error, clientError: item.clientError,
  }));
}

const count = (values: string[]): Record<string, number> => values.reduce<Record<string, number>>((all, value) => ({ ...all, [value]: (all[value] ?? 0) + 1 }), {});
const byKind = (items: SoakItem[], value: (item: SoakItem) => string | undefined): Record<string, Record<string, number>> => {
  const kinds = [...new Set(items.map((item) => item.plan.kind))];
  return Object.fromEntries(kinds.map((kind) => [kind, count(items.filter((item) => item.plan.kind === kind).map(value).filter((each): each is string => each !== undefined))]));
};

export function loadSummary(items: SoakItem[], calls: RecordedCall[]): SoakReport['load'] {
  const accepted = items.filter(isAccepted);
  return {
    requested: count(items.map((item) => item.plan.kind)),
    accepted: count(accepted.map((item) => item.plan.kind)),
    refused: byKind(items.filter((item) => !isAccepted(item)), (item) => item.refusedCode ?? `HTTP ${item.startStatus ?? 'none'}`),
    ended: byKind(accepted, (item) => (item.terminatedAt !== undefined ? 'TERMINATED' : item.last?.phase ?? 'never seen')),
    apiCalls: calls.length,
    kernelPodsEvicted: items.filter((item) => item.asked.evict !== undefined).length,
  };
}

/** How long each phase took under the soak's load, from Temporal's start and close times and the client's own clock. */
export function latencies(items: SoakItem[], described: Map<string, Described | undefined>): Record<string, LatencySummary> {
  const samples: Record<string, number[]> = {};
  const add = (name: string, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) (samples[name] ??= []).push(value);
  };
  for (const item of items.filter((each) => isAccepted(each) && each.terminatedAt === undefined)) {
    const workflow = described.get(item.workflowId);
    if (!workflow?.closeTime) continue;
    const { plan, last } = item;
    if (plan.kind === 'spark-job') {
      if (item.asked.cancel === undefined) add('spark job: accepted → closed, beyond its driver\'s run', workflow.closeTime - workflow.startTime - plan.runSeconds * 1000);
      else if (last?.phase === 'CANCELLED') add('spark job: cancel → closed', workflow.closeTime - item.asked.cancel);
    } else if (plan.kind === 'kernel') {
      if (item.readyStatus?.launchedAt) add('kernel: accepted → RUNNING', Date.parse(item.readyStatus.launchedAt) - workflow.startTime);
      if (item.asked.shutdown !== undefined) add('kernel: shutdown → closed', workflow.closeTime - item.asked.shutdown);
      if (last?.phase === 'CULLED' && last.lastActivity) add('kernel: idle deadline → closed', workflow.closeTime - (Date.parse(last.lastActivity) + plan.cullIdleTimeoutSeconds * 1000));
    } else {
      if (item.phases.includes('RUNNING') && item.readyAt !== undefined && item.acceptedAt !== undefined) add('cluster: accepted → RUNNING', item.readyAt - item.acceptedAt);
      if (item.asked.destroy !== undefined) add('cluster: destroy → closed', workflow.closeTime - item.asked.destroy);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, { count: values.length, p50: Math.round(percentile(values, 50)), p99: Math.round(percentile(values, 99)) }]));
}

export function violationCounts(violations: Violation[]): Record<InvariantName, number> {
  return Object.fromEntries(invariantNames.map((name) => [name, violations.filter((violation) => violation.invariant === name).length])) as Record<InvariantName, number>;
}

/** Whether the soak itself ran as drawn: every fault injected and undone, every client script to its end. */
export function soakRanAsDrawn(report: SoakReport): boolean {
  return report.faultErrors.length === 0 && report.items.every((item) => item.clientError === undefined);
}

/** The report as a person reads it: load, faults, latencies, each invariant's count, every violation. */
export function formatReport(report: SoakReport): string {
  const lines = [
    `soak: ${report.minutes} min, seed ${report.seed}, ${report.faults ? 'with faults' : 'without faults'}`,
    '',
    '| kind | requested | accepted | refused | ended |',
    '|---|---|---|---|---|',
    ...Object.keys(report.load.requested).map((kind) => `| ${kind} | ${report.load.requested[kind]} | ${report.load.accepted[kind] ?? 0} | ${format(report.load.refused[kind])} | ${format(report.load.ended[kind])} |`),
    '',
    `API calls: ${report.load.apiCalls}; kernel pods evicted: ${report.load.kernelPodsEvicted}`,
    `faults injected: ${format(report.faultsInjected)}`,
    `workers' Kubernetes requests through the fault proxy: ${format(report.kubernetesFaults)}`,
    ...report.faultErrors.map((error) => `fault not injected or undone: ${error}`),
    `API or Temporal down: ${report.downtime.map((window) => `${window.component} ${((window.to - window.from) / 1000).toFixed(1)} s`).join(', ') || 'never'}`,
    '',
    '| phase | n | p50 ms | p99 ms |',
    '|---|---|---|---|',
    ...Object.entries(report.latencies).map(([name, summary]) => `| ${name} | ${summary.count} | ${summary.p50} | ${summary.p99} |`),
    '',
    `checked: ${report.quotaSamples} samples of users' holdings, ${report.historiesScanned} histories; driver pods submitted again after Spark rolled its submission back: ${report.driversResubmittedAfterRollback}`,
    '| invariant | violations |',
    '|---|---|',
    ...Object.entries(report.violationCounts).map(([name, violations]) => `| ${name} | ${violations} |`),
    ...report.violations.map((violation) => `- ${violation.invariant}${violation.workflowId ? ` ${violation.workflowId}` : ''}: ${violation.detail}`),
    ...report.items.filter((item) => item.clientError).map((item) => `- the soak's own client failed on ${item.workflowId}: ${item.clientError}`),
  ];
  return lines.join('\n');
}

const format = (counts: Record<string, number> | undefined): string => Object.entries(counts ?? {}).map(([name, value]) => `${name} ${value}`).join(', ') || '–';
