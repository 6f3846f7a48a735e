import type { KernelPlan } from './kernel-pod.js';
import type { KernelSpec } from './kernel-specs.js';
import type { PodEndFailure, PodExit } from './pod-state.js';

export const kernelPhases = ['STARTING', 'RUNNING', 'CULLED', 'STOPPED', 'FAILED'] as const;
export type KernelPhase = (typeof kernelPhases)[number];

export const defaultCullIdleTimeoutSeconds = 3600;
export const defaultMaxKernelRestarts = 2;

/** What the API hands the kernel workflow: a validated plan and the resolved kernel spec. */
export interface KernelSessionInput {
  cluster: string;
  plan: KernelPlan;
  spec: KernelSpec;
  cullIdleTimeoutSeconds: number;
  /** Optional: the kernel is culled this long after its start, in use or not. */
  maxAgeSeconds?: number;
  /** How often a pod that died on its own is started again before the session fails. */
  maxRestarts: number;
  /** The run continues as new once its history has this many events. */
  historyEventLimit: number;
  /** Whether an idle kernel with a client connected is culled too (Enterprise Gateway's `cull_connected`); absent, it is not. */
  cullConnected?: boolean;
  /** Set when a run continues as new: the state the next run picks up, with its timers. */
  resume?: KernelSessionResume;
}

/** What a running session hands to its next run; times in epoch milliseconds. */
export interface KernelSessionResume {
  startedAt: number;
  lastActivity: number;
  restarts: number;
  podIP: string;
  podUid?: string;
  progress: KernelProgressStep[];
  launchedAt?: number;
  /** Client-initiated restarts so far. */
  clientRestarts?: number;
  busy?: boolean;
  clientLeases?: Record<string, number>;
  /** Pod ends reported to the run that continued as new. */
  podEndReports?: KernelPodEndReport[];
}

export interface KernelStatus {
  kernelId: string;
  user: string;
  cluster: string;
  kernelName: string;
  phase: KernelPhase;
  namespace: string;
  pod: string;
  podIP?: string;
  lastActivity: string;
  restarts: number;
  /** When the kernel now running was launched (ISO 8601): it changes with every restart. */
  launchedAt?: string;
  /** As Jupyter reports it: `busy` while the kernel executes, `idle` otherwise; absent for a kernel nobody can reach. */
  executionState?: 'busy' | 'idle';
  /** Clients connected to the kernel's channels through the gateway. */
  connections?: number;
  error?: string;
  cleanedUp: boolean;
}

/** What the worker sees on a kernel's IOPub channel, reported to its session. */
export interface KernelWireReport {
  busy: boolean;
  /** Messages were seen since the last report: the kernel was used. */
  active: boolean;
}

export const kernelWireSignalName = 'wire';

/**
 * A kernel pod's end, as a worker's shared pod watch sees it and signals it to the session: the
 * session keeps no watch of its own while it idles. About the pod of `uid`; a pod found missing at
 * a worker's start, whose uid nobody knows any more, is named by the launch it belonged to
 * (`launchedAt`, as the session's status gives it).
 */
export type KernelPodEndReport = ({ uid: string } | { launchedAt: string }) & (PodExit | PodEndFailure);

export const kernelPodEndSignalName = 'podEnd';
export const kernelStatusQueryName = 'status';
/** Reports kept per session: every worker reports each end, and a restarted kernel's earlier pods may still be reported. */
export const maxKernelPodEndReports = 10;

/** A client connected to a kernel's channels holds a lease, renewed while it stays; `until` 0 ends it. */
export interface KernelClientLease {
  connection: string;
  /** Epoch ms. */
  until: number;
}

/** How long a client's lease lasts, and how often the gateway renews it. */
export const clientLeaseMs = 90_000;
export const clientLeaseRenewMs = 30_000;

/** One step of a launch, for the `progress` query: ours, or an event Kubernetes recorded for the pod. */
export interface KernelProgressStep {
  step: string;
  at: string;
  source: 'orchestrator' | 'kubernetes';
}

/** A Kubernetes event of the kernel pod, as the launch activity reports it to its workflow. */
export interface KernelPodEvent {
  uid: string;
  type: string;
  reason: string;
  message: string;
  at: string;
}

/** The signal by which the launch activity reports pod events as they happen. */
export const kernelPodEventsSignalName = 'podEvents';
/** Events kept per session: enough to explain a launch, bounded for history and queries. */
export const maxKernelPodEvents = 50;

/**
 * A session's status as its run starts (`startedAt`, epoch ms, for a first run): also what a read
 * answers for a workflow closed before it ever ran, whose query cannot be answered.
 */
export function kernelStatusAtStart(input: KernelSessionInput, startedAt: number): KernelStatus {
  const { plan, cluster, resume } = input;
  return {
    kernelId: plan.kernelId, user: plan.user, cluster, kernelName: input.spec.name, phase: resume ? 'RUNNING' : 'STARTING', namespace: plan.namespace,
    pod: plan.podName, ...(resume ? { podIP: resume.podIP } : {}), lastActivity: new Date(resume?.lastActivity ?? startedAt).toISOString(),
    restarts: resume?.restarts ?? 0, cleanedUp: false,
  };
}
