import { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { renderKernelPod, type KernelPlan, type LaunchCallback } from '../domain/kernel-pod.js';
import type { KernelSpec } from '../domain/kernel-specs.js';
import { createdNamespaceLabel, ownershipMarks } from '../domain/labels.js';
import { awaitKernelPodRunning, podEventsReporter } from './kernel-pod-wait.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import type { PodWatchHub } from './kubernetes/pod-watch-hub.js';
import { createOwned, deleteOwned } from './kubernetes/owned-objects.js';

export interface KernelTarget {
  cluster: string;
  plan: KernelPlan;
}

/** The kernel's pod, create-if-absent (see renderKernelPod for when it takes a launch callback). */
export async function createKernelPodObject(api: CoreV1Api, plan: KernelPlan, spec: KernelSpec, callback?: LaunchCallback): Promise<void> {
  const body = renderKernelPod(plan, spec, ownershipMarks('kernel', plan.workflowId), callback);
  await createOwned(`pod ${plan.namespace}/${plan.podName}`, plan.workflowId,
    () => api.createNamespacedPod({ namespace: plan.namespace, body }),
    () => api.readNamespacedPod({ name: plan.podName, namespace: plan.namespace }));
}

export function kernelActivities(clusters: ClusterConnector, temporal: Client, podWatches: PodWatchHub) {
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

    /** Only if this session created it: a namespace of that name that is someone else's stays. */
    async deleteKernelNamespace({ cluster, plan }: KernelTarget): Promise<void> {
      const api = await core(cluster);
      await deleteOwned(`namespace ${plan.namespace}`, () => api.readNamespace({ name: plan.namespace }),
        (preconditions) => api.deleteNamespace({ name: plan.namespace, body: { preconditions } }));
    },

    /** Launch of the sessions started before kernels connected back: their pods take no callback. */
    async createKernelPod({ cluster, plan, spec }: KernelTarget & { spec: KernelSpec }): Promise<void> {
      await createKernelPodObject(await core(cluster), plan, { ...spec, launch: 'pod-only' });
    },

    async waitForKernelPod({ cluster, plan, deadline }: KernelTarget & { deadline: number }): Promise<{ podIP: string; podUid?: string }> {
      const api = await core(cluster);
      return await awaitKernelPodRunning(api, plan, deadline, podEventsReporter(api, plan, temporal), await podWatches.changesOf(cluster, plan.namespace, plan.podName));
    },
  };
}
