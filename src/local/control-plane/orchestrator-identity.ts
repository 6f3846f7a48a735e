import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { rbacManifests } from '../../rbac-manifests.js';
import { writeKubeconfig } from './kubeconfig.js';

/**
 * Longer than any run of the stack; every start requests a fresh token. Not renewed: the worker
 * reads its kubeconfig once, and the token lies beside the admin kubeconfig and the service-account
 * signing key (both in the state directory), so a shorter life would protect nothing.
 */
const tokenLifetimeSeconds = 365 * 24 * 3600;

/**
 * What `kubectl apply --server-side -f deploy/rbac/` does (by default; other objects of deploy/
 * likewise), as the administrator: idempotent, and it brings objects of an earlier start up to
 * date. `dryRun: 'All'` has the API server validate and admit every object without storing it.
 */
export async function applyManifests(admin: KubeConfig, objects: KubernetesObject[] = rbacManifests(), dryRun?: 'All'): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(admin);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    applied.push(await api.patch(object, undefined, dryRun, 'compute-orchestrator-local-stack', true, PatchStrategy.ServerSideApply));
  }
  return applied;
}

/**
 * The orchestrator's own identity on the local control plane, as on any cluster: deploy/rbac
 * applied by the administrator, and for the worker a kubeconfig (0600) with a TokenRequest token
 * of the orchestrator's service account, so that it runs with the least privilege of deploy/rbac.
 */
export async function installOrchestratorIdentity(adminKubeconfig: string, server: string, caCert: string, workerKubeconfig: string): Promise<void> {
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);
  await applyManifests(admin);
  const account = rbacManifests().find((object) => object.kind === 'ServiceAccount');
  const name = account?.metadata?.name;
  const namespace = account?.metadata?.namespace;
  if (!name || !namespace) throw new Error('deploy/rbac defines no ServiceAccount with a name and namespace for the orchestrator');
  const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name, namespace, body: { spec: { audiences: [], expirationSeconds: tokenLifetimeSeconds } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`the API server issued no token for the service account ${namespace}/${name}`);
  writeKubeconfig(workerKubeconfig, server, caCert, { token });
}
