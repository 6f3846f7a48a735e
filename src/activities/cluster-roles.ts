import { RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { workloadClusterRoles } from '../rbac-manifests.js';
import { asFailure, isNotFound, refusal, statusOf } from './kubernetes/api-errors.js';
import type { ClusterAccess } from './kubernetes/cluster-connector.js';

/** The calls on ClusterRoles that the check needs. */
export type ClusterRoleApi = Pick<RbacAuthorizationV1Api, 'readClusterRole' | 'createClusterRole' | 'replaceClusterRole'>;

export const clusterRoleApi = (access: ClusterAccess): ClusterRoleApi => access.config.makeApiClient(RbacAuthorizationV1Api);

const applyDeployRbac = 'an administrator applies deploy/rbac (kubectl apply -f deploy/rbac/)';

/** Rules as comparable text: the API server answers with absent lists where the YAML has none. */
const canonical = (rules: V1PolicyRule[] | undefined): string =>
  JSON.stringify((rules ?? []).map((rule) => [rule.apiGroups ?? [], rule.resources ?? [], rule.resourceNames ?? [], rule.nonResourceURLs ?? [], rule.verbs]));

/**
 * The ClusterRoles that jobs' and kernels' role bindings refer to (deploy/rbac/workload-roles.yaml)
 * are on the cluster. With a credential that may write ClusterRoles (administrator of a GKE cluster
 * the orchestrator created), a missing or different one is created or brought up to date. With the
 * orchestrator's least privilege (deploy/rbac/orchestrator.yaml), which may only read them: a
 * missing one fails with what the operator must do; a different one (another version's
 * deploy/rbac, or changed on purpose) is only reported through `warn`, since jobs may still work.
 */
export async function ensureClusterRoles(cluster: string, rbac: ClusterRoleApi, warn: (message: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const role of workloadClusterRoles()) {
    const name = role.metadata?.name ?? '';
    const existing = await rbac.readClusterRole({ name }).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      if (statusOf(error) === 403) throw refusal(`cluster '${cluster}': this credential may not read ClusterRole ${name}: ${applyDeployRbac}`, 'ClusterRolesUnchecked');
      throw asFailure(error, `read ClusterRole ${name}`);
    });
    if (existing && canonical(existing.rules) === canonical(role.rules)) continue;
    try {
      await (existing ? rbac.replaceClusterRole({ name, body: role }) : rbac.createClusterRole({ body: role }));
    } catch (error) {
      if (statusOf(error) !== 403) throw asFailure(error, `${existing ? 'update' : 'create'} ClusterRole ${name}`);
      if (existing) warn(`ClusterRole ${name} on cluster '${cluster}' differs from deploy/rbac and this credential may not update it; unless that is deliberate, ${applyDeployRbac}`);
      else missing.push(name);
    }
  }
  if (missing.length > 0) {
    throw refusal(`cluster '${cluster}' has no ClusterRole ${missing.join(', ')} and this credential may not create ClusterRoles: ${applyDeployRbac}`, 'ClusterRolesMissing');
  }
}
