import type { CoreV1Api, CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { kernelContainerName, type KernelPlan } from '../domain/kernel-pod.js';
import { kernelPodEventsSignalName, type KernelPodEvent } from '../domain/kernel-session.js';
import { classifyPod, podEndOf } from '../domain/pod-state.js';
import { unlessCancelled } from './activity-waits.js';
import { asFailure, isNotFound, mayPass } from './kubernetes/api-errors.js';
import type { PodChanges } from './kubernetes/pod-watch-hub.js';

/** How often the wait for a kernel's connect-back looks at its pod (ended, or stuck). */
export const launchPollMs = 500;

/**
 * The pod is read again at each change the worker's pod watch sees; this often besides, in case
 * the watch is restarting.
 */
const launchFallbackReadMs = 2_000;

function asPodEvent(event: CoreV1Event): KernelPodEvent {
  const at = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  return {
    uid: event.metadata.uid ?? `${event.reason}/${String(at)}`,
    type: event.type ?? 'Normal',
    reason: event.reason ?? '',
    message: event.message ?? '',
    at: new Date(at ?? Date.now()).toISOString(),
  };
}

/**
 * Signals the pod's Kubernetes events to the launching workflow as they appear, for its progress
 * query; a retried attempt sends them again and the workflow keeps each once. Best effort: a
 * failure to report never fails the launch.
 */
export function podEventsReporter(api: CoreV1Api, plan: KernelPlan, temporal: Client): (pod: V1Pod) => Promise<void> {
  const context = Context.current();
  const workflowId = context.info.workflowExecution?.workflowId;
  const reported = new Set<string>();
  return async (pod) => {
    const podUid = pod.metadata?.uid;
    if (!podUid || !workflowId) return;
    try {
      const { items } = await api.listNamespacedEvent({ namespace: plan.namespace, fieldSelector: `involvedObject.uid=${podUid}` });
      const fresh = items.map(asPodEvent).filter((event) => !reported.has(event.uid));
      if (fresh.length === 0) return;
      await temporal.workflow.getHandle(workflowId).signal(kernelPodEventsSignalName, fresh);
      for (const event of fresh) reported.add(event.uid);
    } catch (error) {
      context.log.warn('could not report pod events', { error: String(error) });
    }
  };
}

async function readKernelPod(api: CoreV1Api, plan: KernelPlan): Promise<V1Pod> {
  try {
    return await api.readNamespacedPod({ name: plan.podName, namespace: plan.namespace });
  } catch (error) {
    if (isNotFound(error)) throw ApplicationFailure.nonRetryable(`kernel pod ${plan.podName} disappeared while launching`, 'PodDisappeared');
    throw asFailure(error, `read pod ${plan.namespace}/${plan.podName}`);
  }
}

/**
 * The pod read again in a wait: a failure that may pass (api-errors.ts) is undefined, and the wait
 * reads again at its next look (under 30 % API errors, failing the attempt for it cost a launch
 * minutes of retry backoff before RUNNING).
 */
export async function readKernelPodWhileWaiting(api: CoreV1Api, plan: KernelPlan): Promise<V1Pod | undefined> {
  try {
    return await readKernelPod(api, plan);
  } catch (error) {
    if (error instanceof Error && mayPass(error)) return undefined;
    throw error;
  }
}

/** Fails the launch when its pod cannot start or has ended: no retry changes either. */
export function failIfPodCannotRun(pod: V1Pod): void {
  const end = podEndOf('kernel pod', pod, kernelContainerName);
  if (end === undefined) return;
  if ('failure' in end) throw ApplicationFailure.nonRetryable(end.failure, end.failureType);
  throw ApplicationFailure.nonRetryable(`kernel pod ended while launching (exit code ${end.exitCode})`, 'PodCannotStart');
}

export const launchTimedOut = (plan: KernelPlan, what: string, detail?: string): ApplicationFailure =>
  ApplicationFailure.nonRetryable(`${what} within the launch timeout of ${plan.launchTimeoutSeconds}s${detail ? ` (${detail})` : ''}`, 'LaunchTimeout');

/**
 * Waits until the kernel pod runs with an IP, failing fast on a pod that cannot start and at
 * `deadline` (epoch ms, fixed by the workflow so a retried attempt keeps the same deadline). The
 * pod is read when the watch says it changed, so Running is seen within milliseconds.
 */
export async function awaitKernelPodRunning(
  api: CoreV1Api, plan: KernelPlan, deadline: number, reportEvents: (pod: V1Pod) => Promise<void>, changes: PodChanges,
): Promise<{ podIP: string; podUid?: string }> {
  const context = Context.current();
  try {
    for (;;) {
      const pod = await readKernelPodWhileWaiting(api, plan);
      if (pod) {
        const state = classifyPod(pod.status, kernelContainerName);
        if (state.state === 'running' && state.podIP) {
          // Reported after the answer is known: the launch does not wait for the events' list.
          void reportEvents(pod);
          return { podIP: state.podIP, podUid: pod.metadata?.uid };
        }
        await reportEvents(pod);
        failIfPodCannotRun(pod);
      }
      if (Date.now() >= deadline) throw launchTimedOut(plan, 'kernel pod not running', `phase ${pod?.status?.phase ?? 'unknown'}`);
      context.heartbeat({ phase: pod?.status?.phase });
      await unlessCancelled(context, changes.next(Math.min(launchFallbackReadMs, Math.max(0, deadline - Date.now()))));
    }
  } finally {
    changes.stop();
  }
}
