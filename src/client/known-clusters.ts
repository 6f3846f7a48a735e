import { KubeConfig, type User } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { builtInCluster, podServiceAccountDir, type ClusterStatus } from '../domain/cluster.js';
import type { RuntimeConfig } from '../config.js';
import type { ClusterPresets } from '../domain/cluster-presets.js';
import { DomainError } from '../domain/errors.js';
import { loadClusterPresets } from './cluster-presets-file.js';
import { gkeAuthPluginUser, gkeContextName, kubeconfigFor, type Kubeconfig, type KubeconfigUser } from '../domain/kubeconfig.js';

/** How the built-in cluster `local` is reached (the runtime configuration's `localCluster`). */
export type LocalClusterSource = { kubeconfig: string } | { serviceAccountDir: string };

/** The clusters known without a workflow: `local`, and the operators' presets. */
export interface KnownClusters {
  presets: ClusterPresets;
  local?: LocalClusterSource;
}

/** The known clusters of a configuration: its presets file (checked here) and its `local`. */
export function knownClustersOf(config: Pick<RuntimeConfig, 'clusterPresetsFile' | 'localCluster'>): KnownClusters {
  return { presets: loadClusterPresets(config.clusterPresetsFile), ...(config.localCluster ? { local: config.localCluster } : {}) };
}

/** A cluster as clients see it: a workflow's status, or a cluster that needs none (`local`, an unattached static preset). */
export type ClusterView = Omit<ClusterStatus, 'createdAt' | 'caCertificatePem' | 'connection'> & Partial<Pick<ClusterStatus, 'createdAt' | 'caCertificatePem' | 'connection'>> & {
  /** Static clusters: whether a cluster workflow holds it now (jobs attach an unattached preset when they start). */
  attached?: boolean;
};

interface Reached {
  server: string;
  caCertificatePem?: string;
  user: KubeconfigUser;
}

/**
 * A kubeconfig user with what holds a secret left out (tokens, key data, passwords, auth-provider
 * configs with their refresh tokens): what names a credential source (an exec plugin, files on
 * the caller's host) is kept, so a kubeconfig relying on those works wherever they exist.
 */
function userWithoutSecrets(user: User | null): KubeconfigUser {
  if (!user) return {};
  return Object.fromEntries(Object.entries({
    exec: user.exec as unknown, 'client-certificate': user.certFile, 'client-key': user.keyFile, username: user.username,
  }).filter(([, value]) => value !== undefined));
}

function reachedBy(source: LocalClusterSource | { kubeconfig: string; context?: string }, name: string): Reached {
  const config = new KubeConfig();
  if ('serviceAccountDir' in source) {
    config.loadFromCluster(source.serviceAccountDir.slice(0, source.serviceAccountDir.length - podServiceAccountDir.length));
    const cluster = config.getCurrentCluster()!;
    // Inside the cluster the caller authenticates as its own pod does: the token file's path, never its content.
    return { server: cluster.server, caCertificatePem: readFileSync(cluster.caFile!, 'utf8'), user: { tokenFile: `${podServiceAccountDir}/token` } };
  }
  try {
    config.loadFromFile(source.kubeconfig);
  } catch (error) {
    throw new DomainError('UNAVAILABLE', `cluster '${name}': its kubeconfig cannot be read here (${(error as Error).message})`);
  }
  if ('context' in source && source.context) config.setCurrentContext(source.context);
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new DomainError('UNAVAILABLE', `cluster '${name}': its kubeconfig has no current cluster`);
  const caCertificatePem = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : cluster.caFile ? readFileSync(cluster.caFile, 'utf8') : undefined;
  return { server: cluster.server, ...(caCertificatePem ? { caCertificatePem } : {}), user: userWithoutSecrets(config.getCurrentUser()) };
}

/** `local` or a static preset as a cluster of the API: RUNNING, since jobs may use it; undefined for any other name. */
export function knownClusterView(name: string, known: KnownClusters): ClusterView | undefined {
  if (name === builtInCluster && known.local) return { name, provider: 'static', phase: 'RUNNING', endpoint: reachedBy(known.local, name).server };
  const preset = known.presets.staticClusters[name];
  if (!preset) return undefined;
  return { name, provider: 'static', phase: 'RUNNING', endpoint: reachedBy(preset, name).server, attached: false };
}

/** Every cluster known without a workflow, `local` first. */
export function knownClusterNames(known: KnownClusters): string[] {
  return [...(known.local ? [builtInCluster] : []), ...Object.keys(known.presets.staticClusters)];
}

/**
 * A kubeconfig for a RUNNING cluster that holds no secret: a GKE cluster's user runs Google's
 * auth plugin (as `gcloud container clusters get-credentials` writes it); a static one's names
 * what its kubeconfig names as a credential source, without the credentials themselves.
 */
export function clusterKubeconfig(status: ClusterView, known: KnownClusters): Kubeconfig {
  if (status.phase !== 'RUNNING') throw new DomainError('CONFLICT', `cluster '${status.name}' is ${status.phase}, not RUNNING: it has no kubeconfig`);
  if (status.provider === 'gke') {
    const connection = status.connection ? known.presets.gkeConnections[status.connection] : undefined;
    if (!connection || !status.endpoint) {
      throw new DomainError('UNAVAILABLE', `cluster '${status.name}': its GKE connection preset '${status.connection ?? ''}' is not among this API's presets`);
    }
    return kubeconfigFor({
      context: gkeContextName(connection.project, connection.location, status.name),
      server: status.endpoint, ...(status.caCertificatePem ? { caCertificatePem: status.caCertificatePem } : {}), user: gkeAuthPluginUser,
    });
  }
  const source = status.name === builtInCluster ? known.local : known.presets.staticClusters[status.name];
  if (!source) throw new DomainError('UNAVAILABLE', `cluster '${status.name}': no static cluster preset of that name in this API's presets`);
  return kubeconfigFor({ context: status.name, ...reachedBy(source, status.name) });
}
