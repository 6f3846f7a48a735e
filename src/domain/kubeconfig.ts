/**
 * Kubeconfig documents handed to clients (JSON, which kubectl and every client library read as
 * YAML). Pure: the callers find the server, CA and user; this only gives them kubectl's shape.
 */

/** A kubeconfig user entry as kubectl reads it (`users[].user`). */
export type KubeconfigUser = Record<string, unknown>;

export interface KubeconfigCluster {
  /** The context's name, which kubectl and DSS (`kubeCtlContext`) select it by. */
  context: string;
  server: string;
  /** PEM of the API server's CA; absent when the server's certificate is publicly trusted. */
  caCertificatePem?: string;
  /** The context's default namespace. */
  namespace?: string;
  user: KubeconfigUser;
}

export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data'?: string } }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string; namespace?: string } }>;
  users: Array<{ name: string; user: KubeconfigUser }>;
  'current-context': string;
  preferences: Record<string, never>;
}

/** base64 without Node's Buffer, which workflows lack. */
function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** One cluster, one user, one context, all named `context`, selected. */
export function kubeconfigFor({ context, server, caCertificatePem, namespace, user }: KubeconfigCluster): Kubeconfig {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster: { server, ...(caCertificatePem ? { 'certificate-authority-data': base64(caCertificatePem) } : {}) } }],
    contexts: [{ name: context, context: { cluster: context, user: context, ...(namespace ? { namespace } : {}) } }],
    users: [{ name: context, user }],
    'current-context': context,
    preferences: {},
  };
}

/** The context name `gcloud container clusters get-credentials` gives a GKE cluster. */
export function gkeContextName(project: string, location: string, cluster: string): string {
  return `gke_${project}_${location}_${cluster}`;
}

/**
 * The user section `gcloud container clusters get-credentials` writes: kubectl runs Google's auth
 * plugin for a token of the caller's own Google identity, so the document holds no secret.
 */
export const gkeAuthPluginUser: KubeconfigUser = {
  exec: {
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    command: 'gke-gcloud-auth-plugin',
    installHint: 'Install gke-gcloud-auth-plugin for use with kubectl by following https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin',
    provideClusterInfo: true,
    interactiveMode: 'IfAvailable',
  },
};
