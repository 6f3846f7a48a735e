import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { ownershipMarks, type ComputeKind } from '../domain/labels.js';
import { callPatiently } from './kubernetes/patient-call.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import { createOwned, deleteOwned } from './kubernetes/owned-objects.js';

export interface IdentityRef {
  cluster: string;
  namespace: string;
  name: string;
}

export interface OwnedIdentityRef extends IdentityRef {
  kind: ComputeKind;
  workflowId: string;
}

export interface RoleBindingRequest extends OwnedIdentityRef {
  clusterRole: string;
  serviceAccount: string;
  /** The account's namespace when it is not the binding's (the orchestrator's own). */
  serviceAccountNamespace?: string;
}

/**
 * A bound token of a service account from the TokenRequest API, valid for the API server's
 * audience for `seconds` (600 at least: the API server's floor). Deleting the account revokes it.
 * The caller keeps it inside its activity (or seals it): it is never logged nor returned in the clear.
 */
export async function requestServiceAccountToken(api: CoreV1Api, account: { namespace: string; name: string }, seconds: number): Promise<{ token: string; expiresAt: string }> {
  const answer = await callPatiently(`request a token for ${account.namespace}/${account.name}`, () => api.createNamespacedServiceAccountToken({
    name: account.name, namespace: account.namespace, body: { spec: { audiences: [], expirationSeconds: seconds } },
  }), []);
  const token = answer.status?.token;
  if (!token || !answer.status) throw new Error(`the API server answered the token request for ${account.namespace}/${account.name} without a token`);
  return { token, expiresAt: new Date(answer.status.expirationTimestamp).toISOString() };
}

/** Temporary identities: a service account and the role binding that scopes it to one namespace. */
export function identityActivities(clusters: ClusterConnector) {
  const core = async (cluster: string) => (await clusters.access(cluster)).config.makeApiClient(CoreV1Api);
  const rbac = async (cluster: string) => (await clusters.access(cluster)).config.makeApiClient(RbacAuthorizationV1Api);

  return {
    async createServiceAccount(ref: OwnedIdentityRef): Promise<void> {
      const api = await core(ref.cluster);
      const marks = ownershipMarks(ref.kind, ref.workflowId);
      await createOwned(`service account ${ref.namespace}/${ref.name}`, ref.workflowId,
        () => api.createNamespacedServiceAccount({
          namespace: ref.namespace,
          // The driver pod gets this account's projected token (bound to the pod) to start executors.
          body: { metadata: { name: ref.name, ...marks } },
        }),
        () => api.readNamespacedServiceAccount({ name: ref.name, namespace: ref.namespace }));
    },

    /** Deleting the account revokes every token issued for it. */
    async deleteServiceAccount(ref: IdentityRef): Promise<void> {
      const api = await core(ref.cluster);
      await deleteOwned(`service account ${ref.namespace}/${ref.name}`, () => api.readNamespacedServiceAccount({ name: ref.name, namespace: ref.namespace }),
        (preconditions) => api.deleteNamespacedServiceAccount({ name: ref.name, namespace: ref.namespace, body: { preconditions } }));
    },

    async createRoleBinding(request: RoleBindingRequest): Promise<void> {
      const api = await rbac(request.cluster);
      const marks = ownershipMarks(request.kind, request.workflowId);
      await createOwned(`role binding ${request.namespace}/${request.name}`, request.workflowId,
        () => api.createNamespacedRoleBinding({
          namespace: request.namespace,
          body: {
            metadata: { name: request.name, ...marks },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: request.clusterRole },
            subjects: [{ kind: 'ServiceAccount', name: request.serviceAccount, namespace: request.serviceAccountNamespace ?? request.namespace }],
          },
        }),
        () => api.readNamespacedRoleBinding({ name: request.name, namespace: request.namespace }));
    },

    async deleteRoleBinding(ref: IdentityRef): Promise<void> {
      const api = await rbac(ref.cluster);
      await deleteOwned(`role binding ${ref.namespace}/${ref.name}`, () => api.readNamespacedRoleBinding({ name: ref.name, namespace: ref.namespace }),
        (preconditions) => api.deleteNamespacedRoleBinding({ name: ref.name, namespace: ref.namespace, body: { preconditions } }));
    },
  };
}
