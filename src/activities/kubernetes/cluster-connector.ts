import { KubeConfig } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';

/** What an activity needs to reach one cluster; built when it runs, never stored in history. */
export interface ClusterAccess {
  config: KubeConfig;
  server: string;
  /** PEM of the API server's CA. */
  caCert: string;
}

/**
 * Resolves a cluster name to its access. Today: the static cluster `local` (the embedded
 * control plane, or KUBECONFIG_LOCAL). Named GKE and static clusters come with the cluster issue.
 */
export class ClusterConnector {
  private readonly cache = new Map<string, ClusterAccess>();

  constructor(private readonly kubeconfigs: Record<string, string>) {}

  names(): string[] {
    return Object.keys(this.kubeconfigs);
  }

  access(cluster: string): ClusterAccess {
    const cached = this.cache.get(cluster);
    if (cached) return cached;
    const file = this.kubeconfigs[cluster];
    if (!file) throw ApplicationFailure.nonRetryable(`unknown cluster '${cluster}'`, 'UnknownCluster');
    const config = new KubeConfig();
    config.loadFromFile(file);
    const current = config.getCurrentCluster();
    if (!current) throw ApplicationFailure.nonRetryable(`the kubeconfig of cluster '${cluster}' has no current cluster`, 'UnknownCluster');
    const caCert = current.caData ? Buffer.from(current.caData, 'base64').toString('utf8') : '';
    const access = { config, server: current.server, caCert };
    this.cache.set(cluster, access);
    return access;
  }
}
