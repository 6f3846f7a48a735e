import { CoreV1Api } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { connectsBack, type KernelSpec } from '../domain/kernel-specs.js';
import type { KernelConnectionInfo } from '../jupyter/connection-info.js';
import { KernelClient, KernelTimeoutError } from '../jupyter/kernel-client.js';
import { newLaunchKeyPair } from '../jupyter/launch-keys.js';
import { listenForConnectBack } from '../jupyter/response-listener.js';
import { pause } from './activity-waits.js';
import {
  awaitKernelPodRunning, failIfPodCannotRun, launchPollMs, launchTimedOut, podEventsReporter, readKernelPodWhileWaiting,
} from './kernel-pod-wait.js';
import { createKernelPodObject, type KernelTarget } from './kernel-pods.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import type { PodWatchHub } from './kubernetes/pod-watch-hub.js';
import { saveKernelConnection } from './kubernetes/kernel-connection-secret.js';
import { deletePodUntilGone } from './pods.js';

export interface KernelLaunch {
  podIP: string;
  podUid?: string;
}

/**
 * `responseHost`: the address at which pods reach this worker (KERNEL_RESPONSE_HOST); without it,
 * only `pod-only` kernels can be launched.
 */
export function kernelLaunchActivities(clusters: ClusterConnector, temporal: Client, podWatches: PodWatchHub, responseHost: string | undefined) {
  const core = async (cluster: string) => (await clusters.access(cluster)).config.makeApiClient(CoreV1Api);

  /** The launcher's connection information, failing fast if the pod ends before it calls. */
  const awaitConnectBack = async (
    api: CoreV1Api, target: KernelTarget, connection: Promise<KernelConnectionInfo>, deadline: number,
  ): Promise<KernelConnectionInfo> => {
    const context = Context.current();
    let received: KernelConnectionInfo | undefined;
    let refused: Error | undefined;
    connection.then((info) => (received = info), (error: unknown) => (refused = error instanceof Error ? error : new Error(String(error))));
    for (;;) {
      if (received) return received;
      if (refused) throw refused;
      const pod = await readKernelPodWhileWaiting(api, target.plan);
      if (pod) failIfPodCannotRun(pod);
      if (Date.now() >= deadline) throw launchTimedOut(target.plan, 'the kernel did not connect back with its connection information');
      context.heartbeat({ step: 'waiting for the kernel to connect back' });
      await Promise.race([connection.catch(() => undefined), pause(context, launchPollMs)]);
    }
  };

  /** RUNNING means usable: the kernel answers a kernel_info_request, not merely its pod runs. */
  const awaitAnswer = async (target: KernelTarget, info: KernelConnectionInfo, podIP: string, deadline: number): Promise<void> => {
    const context = Context.current();
    const client = KernelClient.connect(info, podIP);
    const beating = setInterval(() => context.heartbeat({ step: 'waiting for the kernel to answer' }), 2_000);
    try {
      await client.ready(Math.max(1, deadline - Date.now()));
    } catch (error) {
      if (error instanceof KernelTimeoutError) throw launchTimedOut(target.plan, 'the kernel did not answer a kernel_info_request');
      throw error;
    } finally {
      clearInterval(beating);
      client.close();
    }
  };

  return {
    /**
     * Launches the kernel within the launch deadline (epoch ms, fixed by the workflow so that a
     * retried attempt keeps it): its pod, and for a kernel that connects back, as Enterprise
     * Gateway does, a listener for the launcher's encrypted connection information on the
     * response address, the Secret that keeps it, and the kernel's first answer. The private key
     * lives only in this attempt; the connection key never leaves it but in the Secret.
     */
    async launchKernel(input: KernelTarget & { spec: KernelSpec; deadline: number }): Promise<KernelLaunch> {
      const { cluster, plan, spec, deadline } = input;
      const context = Context.current();
      const api = await core(cluster);
      const reportEvents = podEventsReporter(api, plan, temporal);
      if (!connectsBack(spec)) {
        await createKernelPodObject(api, plan, spec);
        return await awaitKernelPodRunning(api, plan, deadline, reportEvents, await podWatches.changesOf(cluster, plan.namespace, plan.podName));
      }
      if (!responseHost) {
        throw ApplicationFailure.nonRetryable(`kernel '${spec.name}' connects back, and this worker has no KERNEL_RESPONSE_HOST that pods reach it at`, 'LaunchNotConfigured');
      }
      const keys = newLaunchKeyPair();
      const listener = await listenForConnectBack(responseHost, keys, plan.kernelId, (reason) => {
        context.log.warn('refused a connect-back', { reason });
      });
      try {
        // A pod of an earlier attempt carries the public key of a private key that died with that attempt: it goes first.
        await deletePodUntilGone(api, { cluster, namespace: plan.namespace, name: plan.podName }, podWatches, { gracePeriodSeconds: 0 });
        await createKernelPodObject(api, plan, spec, { responseAddress: listener.address, publicKey: keys.publicKey });
        const running = await awaitKernelPodRunning(api, plan, deadline, reportEvents, await podWatches.changesOf(cluster, plan.namespace, plan.podName));
        const info = await awaitConnectBack(api, input, listener.connection, deadline);
        await saveKernelConnection(api, plan, running.podUid ?? '', info);
        await awaitAnswer(input, info, running.podIP, deadline);
        return running;
      } finally {
        await listener.close();
      }
    },
  };
}
