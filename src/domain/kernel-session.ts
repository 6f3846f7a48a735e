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

/** One step of a launch, for the `progress` query. */
export interface KernelProgressStep {
  step: string;
  at: string;
}
