import { CoreV1Api } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { classifyPod } from '../domain/pod-state.js';
import { asFailure, isNotFound } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import { deleteIfPresent } from './kubernetes/owned-objects.js';

export interface PodRef {
  cluster: string;
  namespace: string;
  name: string;
}

export interface PodEnd {
  succeeded: boolean;
  exitCode: number;
  reason?: string;
}

const pollMs = 1_000;

export function podActivities(clusters: ClusterConnector) {
  const core = (cluster: string) => clusters.access(cluster).config.makeApiClient(CoreV1Api);

  return {
    /**
     * Follows a pod until it ends and returns its main container's exit code. Heartbeats every
     * poll, so a worker that dies is noticed and another attempt resumes the watch. Fails fast,
     * with Kubernetes' reason, when the pod cannot start.
     */
    async watchPodUntilEnd(ref: PodRef & { container?: string }): Promise<PodEnd> {
      const context = Context.current();
      const api = core(ref.cluster);
      for (;;) {
        let pod;
        try {
          pod = await api.readNamespacedPod({ name: ref.name, namespace: ref.namespace });
        } catch (error) {
          if (isNotFound(error)) throw ApplicationFailure.nonRetryable(`pod ${ref.namespace}/${ref.name} disappeared before it ended`, 'PodDisappeared');
          throw asFailure(error, `read pod ${ref.namespace}/${ref.name}`);
        }
        const state = classifyPod(pod.status, ref.container);
        if (state.state === 'ended') return { succeeded: state.succeeded, exitCode: state.exitCode, reason: state.reason };
        if (state.state === 'stuck') throw ApplicationFailure.nonRetryable(`pod ${ref.name} cannot start: ${state.reason}: ${state.message}`, 'PodCannotStart');
        context.heartbeat({ phase: pod.status?.phase });
        await context.sleep(pollMs);
      }
    },

    /**
     * Deletes the pod gracefully (its process gets SIGTERM and its grace period) and returns once
     * it is gone; its owned objects follow by garbage collection. Waiting for the end of a graceful
     * deletion, not forcing it, means a pod of the same name created next is never hit by the
     * old one's deletion.
     */
    async deletePodAndWait(ref: PodRef): Promise<void> {
      const context = Context.current();
      const api = core(ref.cluster);
      await deleteIfPresent(`pod ${ref.namespace}/${ref.name}`, () => api.deleteNamespacedPod({ name: ref.name, namespace: ref.namespace }));
      for (;;) {
        try {
          await api.readNamespacedPod({ name: ref.name, namespace: ref.namespace });
        } catch (error) {
          if (isNotFound(error)) return;
          throw asFailure(error, `read pod ${ref.namespace}/${ref.name}`);
        }
        context.heartbeat();
        await context.sleep(pollMs);
      }
    },
  };
}
