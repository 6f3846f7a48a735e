import { CoreV1Api } from '@kubernetes/client-node';
import { clusterConnector } from '../cluster-access.js';
import { readKernelConnection } from '../activities/kubernetes/kernel-connection-secret.js';
import type { KernelEndpoints } from '../client/kernel-gateway.js';
import type { TemporalHandle } from '../client/temporal.js';
import type { RuntimeConfig } from '../config.js';
import type { ClusterPresets } from '../domain/cluster-presets.js';

/**
 * The API reads a running kernel's connection information from its Secret, on the kernel's
 * cluster, reached as the worker reaches it; the pod's IP is the session's.
 */
export function kernelEndpoints(config: Pick<RuntimeConfig, 'localCluster'>, temporal: Pick<TemporalHandle, 'client'>, presets: ClusterPresets): KernelEndpoints {
  const clusters = clusterConnector(config.localCluster, temporal.client, presets);
  return async (status) => {
    if (!status.podIP) return undefined;
    const api = (await clusters.access(status.cluster)).config.makeApiClient(CoreV1Api);
    const info = await readKernelConnection(api, { namespace: status.namespace, podName: status.pod });
    return info && { info, host: status.podIP };
  };
}
