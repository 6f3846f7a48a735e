import { CoreV1Api } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { renderKernelPod, type KernelPlan } from '../domain/kernel-pod.js';
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

export function kernelActivities(clusters: ClusterConnector) {
  const core = (cluster: string) => clusters.access(cluster).config.makeApiClient(CoreV1Api);

  return {
    /** The kernel's own namespace, marked as created by us; one of the same name that is not ours is refused. */
    async createKernelNamespace({ cluster, plan }: KernelTarget): Promise<void> {
      const api = core(cluster);
      const marks = ownershipMarks('kernel', plan.workflowId);
      await createOwned(`namespace ${plan.namespace}`, plan.workflowId,
        () => api.createNamespace({ body: { metadata: { name: plan.namespace, labels: { ...marks.labels, [createdNamespaceLabel]: 'true' }, annotations: marks.annotations } } }),
        () => api.readNamespace({ name: plan.namespace }));
    },

    async deleteKernelNamespace({ cluster, plan }: KernelTarget): Promise<void> {
      const api = core(cluster);
      await deleteIfPresent(`namespace ${plan.namespace}`, () => api.deleteNamespace({ name: plan.namespace }));
    },

    async createKernelPod({ cluster, plan, spec }: KernelTarget & { spec: KernelSpec }): Promise<void> {
      const api = core(cluster);
      await createOwned(`pod ${plan.namespace}/${plan.podName}`, plan.workflowId,
        () => api.createNamespacedPod({ namespace: plan.namespace, body: renderKernelPod(plan, spec, ownershipMarks('kernel', plan.workflowId)) }),
        () => api.readNamespacedPod({ name: plan.podName, namespace: plan.namespace }));
    },

    /**
     * Waits until the kernel pod runs with an IP, failing fast on a pod that cannot start and at
     * `deadline` (epoch ms, fixed by the workflow so a retried attempt keeps the same deadline).
     */
    async waitForKernelPod({ cluster, plan, deadline }: KernelTarget & { deadline: number }): Promise<{ podIP: string }> {
      const context = Context.current();
      const api = core(cluster);
      for (;;) {
        let pod;
        try {
          pod = await api.readNamespacedPod({ name: plan.podName, namespace: plan.namespace });
        } catch (error) {
          if (isNotFound(error)) throw ApplicationFailure.nonRetryable(`kernel pod ${plan.podName} disappeared while launching`, 'PodDisappeared');
          throw asFailure(error, `read pod ${plan.namespace}/${plan.podName}`);
        }
        const state = classifyPod(pod.status, 'kernel');
        if (state.state === 'running' && state.podIP) return { podIP: state.podIP };
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
