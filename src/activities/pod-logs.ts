import { CoreV1Api } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { logTail } from '../domain/driver-log.js';
import { asFailure, isNotFound, statusOf } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import type { PodRef } from './pods.js';

/**
 * What one read may bring into memory. The log API applies `limitBytes` from the start of the
 * `tailLines` it returns, not from their end: an answer cut by it is not the end of the log, and
 * the read is made again with fewer lines.
 */
const readCapBytes = 1024 * 1024;
/** The API may return slightly less than the limit when it cuts. */
const capSlackBytes = 1024;
const firstTailLines = 1_000;

/** A pod that will never have this log: saying why is the answer, no retry changes it. */
const noLog = (message: string) => ApplicationFailure.nonRetryable(message, 'NoPodLog');

/**
 * The API server reached the node but would not trust its kubelet's certificate (a simulated
 * node, or a kubelet serving a self-signed one): the node has not become trustworthy a second
 * later, so the read is not tried again.
 */
function untrustedKubelet(error: unknown): boolean {
  const body = (error as { body?: unknown }).body;
  return statusOf(error) === 500 && typeof body === 'string' && /x509|failed to verify certificate/.test(body);
}

export function podLogActivities(clusters: ClusterConnector) {
  return {
    /**
     * The end of a container's log: at most 64 KiB, starting on a line. Read-only, so an attempt
     * may run again. A pod that does not exist, never reached a node or whose container never
     * started fails with `NoPodLog`, saying which, as does a node whose kubelet the API server does
     * not trust; a node that serves no logs otherwise fails retryably, and the caller bounds the attempts. The text is the result only, never part of a failure.
     */
    async readPodLogTail(ref: PodRef & { container: string }): Promise<string> {
      const where = `pod ${ref.namespace}/${ref.name}`;
      const api = (await clusters.access(ref.cluster)).config.makeApiClient(CoreV1Api);
      const pod = await api.readNamespacedPod({ name: ref.name, namespace: ref.namespace }).catch((error: unknown) => {
        if (isNotFound(error)) throw noLog(`${where} does not exist`);
        throw asFailure(error, `read ${where}`);
      });
      // Checked first because the log API answers a pod on no node with an empty 204, which the client cannot parse.
      if (!pod.spec?.nodeName) throw noLog(`${where} was never scheduled on a node`);
      const state = pod.status?.containerStatuses?.find((status) => status.name === ref.container)?.state;
      if (!state?.running && !state?.terminated) {
        throw noLog(`container ${ref.container} of ${where} never started${state?.waiting?.reason ? ` (${state.waiting.reason})` : ''}`);
      }
      for (let tailLines = firstTailLines; ; tailLines = Math.max(1, Math.floor(tailLines / 10))) {
        const text = await api.readNamespacedPodLog({
          name: ref.name, namespace: ref.namespace, container: ref.container, tailLines, limitBytes: readCapBytes,
        }).catch((error: unknown) => {
          if (untrustedKubelet(error)) throw noLog(`the API server does not trust the kubelet of ${where}'s node (its serving certificate cannot be verified)`);
          throw asFailure(error, `read the log of ${where}`);
        });
        if (tailLines === 1 || Buffer.byteLength(text) < readCapBytes - capSlackBytes) return logTail(text);
      }
    },
  };
}
