import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { renderKernelPod, type KernelPlan } from '../domain/kernel-pod.js';
import { kernelPodEventsSignalName, type KernelPodEvent } from '../domain/kernel-session.js';
import type { KernelSpec } from '../domain/kernel-specs.js';
import { createdNamespaceLabel, ownershipMarks } from '../domain/labels.js';
import { classifyPod } from '../domain/pod-state.js';
import { asFailure, isNotFound } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import { createOwned, deleteIfPresent } from './kubernetes/owned-objects.js';

export interface KernelTarget {
  cluster: string;
  plan: KernelPlan;
}

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

export function kernelActivities(clusters: ClusterConnector, temporal: Client) {
  const core = async (cluster: string) => (await clusters.access(cluster)).config.makeApiClient(CoreV1Api);

  return {
    /** The kernel's own namespace, marked as created by us; one of the same name that is not ours is refused. */
    async createKernelNamespace({ cluster, plan }: KernelTarget): Promise<void> {
      const api = await core(cluster);
      const marks = ownershipMarks('kernel', plan.workflowId);
      await createOwned(`namespace ${plan.namespace}`, plan.workflowId,
        () => api.createNamespace({ body: { metadata: { name: plan.namespace, labels: { ...marks.labels, [createdNamespaceLabel]: 'true' }, annotations: marks.annotations } } }),
        () => api.readNamespace({ name: plan.namespace }));
    },

    async deleteKernelNamespace({ cluster, plan }: KernelTarget): Promise<void> {
      const api = await core(cluster);
      await deleteIfPresent(`namespace ${plan.namespace}`, () => api.deleteNamespace({ name: plan.namespace }));
    },

    async createKernelPod({ cluster, plan, spec }: KernelTarget & { spec: KernelSpec }): Promise<void> {
      const api = await core(cluster);
      await createOwned(`pod ${plan.namespace}/${plan.podName}`, plan.workflowId,
        () => api.createNamespacedPod({ namespace: plan.namespace, body: renderKernelPod(plan, spec, ownershipMarks('kernel', plan.workflowId)) }),
        () => api.readNamespacedPod({ name: plan.podName, namespace: plan.namespace }));
    },

    /**
     * Waits until the kernel pod runs with an IP, failing fast on a pod that cannot start and at
     * `deadline` (epoch ms, fixed by the workflow so a retried attempt keeps the same deadline).
     * The pod's Kubernetes events are signalled to the workflow as they appear, for its progress
     * query; a retried attempt sends them again and the workflow keeps each once.
     */
    async waitForKernelPod({ cluster, plan, deadline }: KernelTarget & { deadline: number }): Promise<{ podIP: string; podUid?: string }> {
      const context = Context.current();
      const api = await core(cluster);
      const workflowId = context.info.workflowExecution?.workflowId;
      const reported = new Set<string>();
      const reportEvents = async (podUid: string | undefined): Promise<void> => {
        if (!podUid || !workflowId) return;
        const { items } = await api.listNamespacedEvent({ namespace: plan.namespace, fieldSelector: `involvedObject.uid=${podUid}` });
        const fresh = items.map(asPodEvent).filter((event) => !reported.has(event.uid));
        if (fresh.length === 0) return;
        await temporal.workflow.getHandle(workflowId).signal(kernelPodEventsSignalName, fresh);
        for (const event of fresh) reported.add(event.uid);
      };
      for (;;) {
        let pod;
        try {
          pod = await api.readNamespacedPod({ name: plan.podName, namespace: plan.namespace });
        } catch (error) {
          if (isNotFound(error)) throw ApplicationFailure.nonRetryable(`kernel pod ${plan.podName} disappeared while launching`, 'PodDisappeared');
          throw asFailure(error, `read pod ${plan.namespace}/${plan.podName}`);
        }
        await reportEvents(pod.metadata?.uid).catch((error: unknown) => {
          context.log.warn('could not report pod events', { error: String(error) });
        });
        const state = classifyPod(pod.status, 'kernel');
        if (state.state === 'running' && state.podIP) return { podIP: state.podIP, podUid: pod.metadata?.uid };
        if (state.state === 'stuck') throw ApplicationFailure.nonRetryable(`kernel pod cannot start: ${state.reason}: ${state.message}`, 'PodCannotStart');
        if (state.state === 'ended') throw ApplicationFailure.nonRetryable(`kernel pod ended while launching (exit code ${state.exitCode})`, 'PodCannotStart');
        if (Date.now() >= deadline) {
          throw ApplicationFailure.nonRetryable(`kernel pod not running within the launch timeout of ${plan.launchTimeoutSeconds}s (phase ${pod.status?.phase ?? 'unknown'})`, 'LaunchTimeout');
        }
        context.heartbeat({ phase: pod.status?.phase });
        await context.sleep(500);
      }
    },
  };
}
