import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { podEndOf, type PodExit } from '../domain/pod-state.js';
import { heartbeatUntil, unlessCancelled } from './activity-waits.js';
import { asFailure, isNotFound, mayPass } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import { deleteOwned } from './kubernetes/owned-objects.js';
import type { PodWatchHub } from './kubernetes/pod-watch-hub.js';

export interface PodRef {
  cluster: string;
  namespace: string;
  name: string;
}

/** A deleted pod is read again when the watch sees it change, and this often besides. */
const deletionFallbackReadMs = 2_000;
/** Well under the watch's heartbeat timeout; the SDK sends at most one per 80% of that timeout. */
const heartbeatEveryMs = 5_000;

/**
 * Deletes the running workflow's pod (gracefully unless `gracePeriodSeconds` says otherwise;
 * someone else's pod of that name is left alone: deleteOwned) and returns once it is gone,
 * heartbeating its activity while it waits: read again as soon as the worker's pod watch sees it
 * change (its deletion among them), so the wait ends within milliseconds of the pod's.
 */
export async function deletePodUntilGone(
  api: CoreV1Api, ref: PodRef, watches: PodWatchHub, options: { gracePeriodSeconds?: number } = {},
): Promise<void> {
  const context = Context.current();
  const changes = await watches.changesOf(ref.cluster, ref.namespace, ref.name);
  const where = `pod ${ref.namespace}/${ref.name}`;
  const read = () => api.readNamespacedPod({ name: ref.name, namespace: ref.namespace });
  let deleted = false;
  try {
    for (;;) {
      try {
        if (!deleted) {
          const ours = await deleteOwned(where, read,
            (preconditions) => {
              // The kernels' pod-end reports leave alone the end of a pod its own workflow deletes.
              if (preconditions.uid) watches.expectDeletion(preconditions.uid);
              return api.deleteNamespacedPod({
                name: ref.name, namespace: ref.namespace, body: { preconditions, ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}) },
              });
            });
          if (!ours) return;
          deleted = true;
        }
        await read();
      } catch (error) {
        if (isNotFound(error)) return;
        // A call that fails in a way a retry could cure is tried again at the next look, the
        // deletion's own as much as the wait's: an attempt fails only for what will not pass. Failing
        // it for each such call (three or more an attempt) left a job's pod, under 30 % API errors,
        // waiting out the retry backoff for minutes after its first failures (faults.test.ts).
        const failure = error instanceof ApplicationFailure ? error : asFailure(error, `read ${where}`);
        if (!mayPass(failure)) throw failure;
      }
      // A local activity (the pod of a job that has ended) cannot heartbeat; its workflow task stays open instead.
      if (!context.info.isLocal) context.heartbeat();
      await unlessCancelled(context, changes.next(deletionFallbackReadMs));
    }
  } finally {
    changes.stop();
  }
}

export function podActivities(clusters: ClusterConnector, watches: PodWatchHub) {
  const core = async (cluster: string) => (await clusters.access(cluster)).config.makeApiClient(CoreV1Api);
  const readPod = async (ref: PodRef) => (await core(ref.cluster)).readNamespacedPod({ name: ref.name, namespace: ref.namespace });

  return {
    /**
     * Follows a pod until it ends and returns its main container's exit code; fails fast, with
     * Kubernetes' reason, when the pod cannot start. It listens to the worker's shared watch
     * rather than polling, and heartbeats, so a worker that dies is noticed and another attempt
     * resumes. `uid`, when given, ignores an older pod of the same name still in the cache.
     */
    async watchPodUntilEnd(ref: PodRef & { container?: string; uid?: string }): Promise<PodExit> {
      const context = Context.current();
      const where = `pod ${ref.namespace}/${ref.name}`;
      let settle: (outcome: PodExit | Error) => void = () => undefined;
      const outcome = new Promise<PodExit | Error>((resolve) => (settle = resolve));
      const judge = (pod: V1Pod | undefined): void => {
        if (pod && ref.uid && pod.metadata?.uid !== ref.uid) return;
        const end = podEndOf(where, pod, ref.container);
        if (end !== undefined) settle('failure' in end ? ApplicationFailure.nonRetryable(end.failure, end.failureType) : end);
      };
      const following = await watches.follow(ref.cluster, ref.namespace, ref.name, judge);
      try {
        // The cache may not have seen a pod created a moment ago: only the API server can say it is gone.
        judge(following.current ?? await readPod(ref).catch((error: unknown) => {
          if (isNotFound(error)) return undefined;
          throw asFailure(error, `read ${where}`);
        }));
        const ended = await heartbeatUntil(context, outcome, heartbeatEveryMs);
        if (ended instanceof Error) throw ended;
        return ended;
      } finally {
        following.stop();
      }
    },

    /**
     * Deletes the pod gracefully (its process gets SIGTERM and its grace period) and returns once
     * it is gone; its owned objects follow by garbage collection. Waiting for the end of a graceful
     * deletion, not forcing it, means a pod of the same name created next is never hit by the
     * old one's deletion.
     */
    async deletePodAndWait(ref: PodRef): Promise<void> {
      await deletePodUntilGone(await core(ref.cluster), ref, watches);
    },
  };
}
