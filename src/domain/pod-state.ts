/** The parts of a pod's status that decide what happens next; structural, so domain stays pure. */
export interface PodStatusLike {
  phase?: string;
  podIP?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  containerStatuses?: Array<{
    name: string;
    state?: {
      waiting?: { reason?: string; message?: string };
      terminated?: { exitCode: number; reason?: string; message?: string };
    };
  }>;
}

/** Waiting reasons that never resolve by waiting longer. */
export const failFastReasons = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError'];

export type PodState =
  | { state: 'pending' }
  | { state: 'running'; podIP?: string }
  | { state: 'ended'; succeeded: boolean; exitCode: number; reason?: string }
  | { state: 'stuck'; reason: string; message: string };

/** Where a pod is in its life, judged by its main container (`container`, else the first). */
export function classifyPod(status: PodStatusLike | undefined, container?: string): PodState {
  const containers = status?.containerStatuses ?? [];
  const main = containers.find((candidate) => candidate.name === container) ?? containers[0];
  if (status?.phase === 'Succeeded' || status?.phase === 'Failed') {
    const terminated = main?.state?.terminated;
    const exitCode = terminated?.exitCode ?? (status.phase === 'Succeeded' ? 0 : 1);
    return { state: 'ended', succeeded: status.phase === 'Succeeded', exitCode, reason: terminated?.reason };
  }
  const unschedulable = status?.conditions?.find((condition) => condition.type === 'PodScheduled' && condition.status === 'False' && condition.reason === 'Unschedulable');
  if (unschedulable) return { state: 'stuck', reason: 'Unschedulable', message: unschedulable.message ?? 'no node can take the pod' };
  for (const candidate of containers) {
    const waiting = candidate.state?.waiting;
    if (waiting?.reason && failFastReasons.includes(waiting.reason)) {
      return { state: 'stuck', reason: waiting.reason, message: waiting.message ?? `container ${candidate.name}: ${waiting.reason}` };
    }
  }
  if (status?.phase === 'Running') return { state: 'running', podIP: status.podIP };
  return { state: 'pending' };
}

/** How a pod ended: its main container's exit. */
export interface PodExit {
  succeeded: boolean;
  exitCode: number;
  reason?: string;
}

/** Why a pod will never end by itself. */
export interface PodEndFailure {
  failure: string;
  failureType: 'PodDisappeared' | 'PodCannotStart';
}

/**
 * What ends a wait for a pod's end, `pod` being its latest state (`undefined` once it is gone):
 * its exit, or why it will never exit; `undefined` while it may still run. `where` names the pod
 * in the failure's message.
 */
export function podEndOf(where: string, pod: { status?: PodStatusLike } | undefined, container?: string): PodExit | PodEndFailure | undefined {
  if (!pod) return { failure: `${where} disappeared before it ended`, failureType: 'PodDisappeared' };
  const state = classifyPod(pod.status, container);
  if (state.state === 'ended') return { succeeded: state.succeeded, exitCode: state.exitCode, ...(state.reason !== undefined ? { reason: state.reason } : {}) };
  if (state.state === 'stuck') return { failure: `${where} cannot start: ${state.reason}: ${state.message}`, failureType: 'PodCannotStart' };
  return undefined;
}
