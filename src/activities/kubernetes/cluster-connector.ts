import type { KubeConfig } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { readFileSync } from 'node:fs';
import { podServiceAccountDir } from '../../domain/cluster.js';
import { KeepAliveKubeConfig } from './keep-alive-kube-config.js';

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

/**
 * The cluster the worker's pod runs in, reached with the pod's service account: a directory
 * ending with the standard /var/run/secrets/kubernetes.io/serviceaccount, which holds `token`
 * and `ca.crt`; the API server's address comes from KUBERNETES_SERVICE_HOST and _PORT.
 */
export interface InClusterSource {
  serviceAccountDir: string;
}

/** How a built-in cluster (known without asking Temporal) is reached. */
export type BuiltInClusterSource = StaticClusterSource | InClusterSource;

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
  const config = new KeepAliveKubeConfig();
  config.loadFromFile(source.kubeconfig);
  if (source.context) config.setCurrentContext(source.context);
  const current = config.getCurrentCluster();
  if (!current) throw ApplicationFailure.nonRetryable(`the kubeconfig of cluster '${cluster}' has no current cluster`, 'UnknownCluster');
  const caCert = current.caData ? Buffer.from(current.caData, 'base64').toString('utf8') : '';
  return { config, server: current.server, caCert };
}

/**
 * What KubeConfig.loadFromCluster builds names the token and CA files rather than holding their
 * content. The token is read by the library's FileAuth on first use and again whenever its copy
 * is more than 60 seconds old, which it checks at every request (API calls and watch
 * connections), and the CA file is read at every request: kubelet's rotation of the projected
 * token is picked up without building this again. (FileAuth is one instance per process with one
 * cached token, so a second token-file credential in the worker would share it for up to 60 s;
 * there is none: other clusters use kubeconfig files or tokens.) `caCert`, which spark-submit
 * takes as a file, is read once per process: after a rotation of the cluster's CA, restart it.
 */
export function fromServiceAccount(cluster: string, source: InClusterSource): ClusterAccess {
  const config = new KeepAliveKubeConfig();
  config.loadFromCluster(source.serviceAccountDir.slice(0, source.serviceAccountDir.length - podServiceAccountDir.length));
  const { server, caFile } = config.getCurrentCluster()!;
  let caCert: string;
  try {
    caCert = readFileSync(caFile!, 'utf8');
  } catch (error) {
    throw new Error(`cluster '${cluster}': cannot read the pod service account's CA certificate (KUBERNETES_SERVICE_ACCOUNT_DIR): ${(error as Error).message}`);
  }
  return { config, server, caCert };
}

function fromBuiltInSource(cluster: string, source: BuiltInClusterSource): ClusterAccess {
  return 'serviceAccountDir' in source ? fromServiceAccount(cluster, source) : fromKubeconfig(cluster, source);
}

export function fromToken(cluster: string, resolved: TokenClusterSource): ClusterAccess {
  const config = new KeepAliveKubeConfig();
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
 * stack's `local`) or from the worker pod's service account (`local` in a cluster), others
 * through the resolver (clusters of cluster workflows: a static preset's kubeconfig, or a GKE
 * cluster's endpoint and CA with a token from the credentials).
 * Tokens are cached until they are due for refresh, never written anywhere.
 */
export class ClusterConnector {
  private readonly cache = new Map<string, { access: ClusterAccess; refreshAt: number }>();

  constructor(private readonly builtIns: Record<string, BuiltInClusterSource>, private readonly resolver?: ClusterResolver) {}

  /** The built-in clusters, known without asking anyone. */
  names(): string[] {
    return Object.keys(this.builtIns);
  }

  async access(cluster: string): Promise<ClusterAccess> {
    const cached = this.cache.get(cluster);
    if (cached && Date.now() < cached.refreshAt) return cached.access;
    const source = this.builtIns[cluster];
    if (source) {
      const access = fromBuiltInSource(cluster, source);
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
