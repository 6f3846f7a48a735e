import { KubeConfig } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';

/** What an activity needs to reach one cluster; built when it runs, never stored in history. */
export interface ClusterAccess {
  config: KubeConfig;
  server: string;
  /** PEM of the API server's CA. */
  caCert: string;
}

/** A cluster reached through a kubeconfig file (optionally one of its contexts). */
export interface StaticClusterSource {
  kubeconfig: string;
  context?: string;
}

/** A cluster reached with a bearer token (a GKE cluster: OAuth access token). */
export interface TokenClusterSource {
  server: string;
  caCert: string;
  token: string;
}

/** A cluster known at run time, with when to resolve it again (its token's refresh). */
export interface ResolvedCluster {
  access: ClusterAccess;
  /** Epoch ms. */
  refreshAt: number;
}

/** Resolves a cluster name that is not built in: `undefined` when there is no such RUNNING cluster. */
export type ClusterResolver = (cluster: string) => Promise<ResolvedCluster | undefined>;

export function fromKubeconfig(cluster: string, source: StaticClusterSource): ClusterAccess {
  const config = new KubeConfig();
  config.loadFromFile(source.kubeconfig);
  if (source.context) config.setCurrentContext(source.context);
  const current = config.getCurrentCluster();
  if (!current) throw ApplicationFailure.nonRetryable(`the kubeconfig of cluster '${cluster}' has no current cluster`, 'UnknownCluster');
  const caCert = current.caData ? Buffer.from(current.caData, 'base64').toString('utf8') : '';
  return { config, server: current.server, caCert };
}

export function fromToken(cluster: string, resolved: TokenClusterSource): ClusterAccess {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: cluster, server: resolved.server, caData: Buffer.from(resolved.caCert).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'compute-orchestrator', token: resolved.token }],
    contexts: [{ name: cluster, cluster, user: 'compute-orchestrator' }],
    currentContext: cluster,
  });
  return { config, server: resolved.server, caCert: resolved.caCert };
}

/**
 * Resolves a cluster name to its access: built-in clusters from kubeconfig files (the embedded
 * stack's `local`), others through the resolver (clusters of cluster workflows: a static
 * preset's kubeconfig, or a GKE cluster's endpoint and CA with a token from the credentials).
 * Tokens are cached until they are due for refresh, never written anywhere.
 */
export class ClusterConnector {
  private readonly cache = new Map<string, { access: ClusterAccess; refreshAt: number }>();

  constructor(private readonly statics: Record<string, StaticClusterSource>, private readonly resolver?: ClusterResolver) {}

  /** The built-in clusters, known without asking anyone. */
  names(): string[] {
    return Object.keys(this.statics);
  }

  async access(cluster: string): Promise<ClusterAccess> {
    const cached = this.cache.get(cluster);
    if (cached && Date.now() < cached.refreshAt) return cached.access;
    const source = this.statics[cluster];
    if (source) {
      const access = fromKubeconfig(cluster, source);
      this.cache.set(cluster, { access, refreshAt: Infinity });
      return access;
    }
    const resolved = await this.resolver?.(cluster);
    if (!resolved) throw ApplicationFailure.nonRetryable(`unknown cluster '${cluster}', or not RUNNING`, 'UnknownCluster');
    this.cache.set(cluster, resolved);
    return resolved.access;
  }

  /** Forgets a cluster's access, e.g. once it is deleted. */
  forget(cluster: string): void {
    this.cache.delete(cluster);
  }
}
