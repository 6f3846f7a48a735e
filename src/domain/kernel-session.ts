import type { KernelPlan } from './kernel-pod.js';
import type { KernelSpec } from './kernel-specs.js';

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
}

export interface KernelStatus {
  kernelId: string;
  user: string;
  kernelName: string;
  phase: KernelPhase;
  namespace: string;
  pod: string;
  podIP?: string;
  lastActivity: string;
  restarts: number;
  error?: string;
  cleanedUp: boolean;
}

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
