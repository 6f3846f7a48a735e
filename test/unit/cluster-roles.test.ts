import { describe, expect, jest, test } from '@jest/globals';
import type { V1ClusterRole } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ensureClusterRoles, type ClusterRoleApi } from '../../src/activities/cluster-roles.js';
import { workloadClusterRoleNames, workloadClusterRoles } from '../../src/rbac-manifests.js';

const apiError = (code: number) => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify({ kind: 'Status', code, message: `status ${code}` }) });

/** A cluster's ClusterRoles as the API server keeps them, and whether this credential may write them. */
function fakeCluster(stored: V1ClusterRole[], mayWrite: boolean) {
  const roles = new Map(stored.map((role) => [role.metadata!.name!, role]));
  const writes: string[] = [];
  const write = async (verb: string, role: V1ClusterRole): Promise<V1ClusterRole> => {
    if (!mayWrite) throw apiError(403);
    writes.push(`${verb} ${role.metadata!.name}`);
    roles.set(role.metadata!.name!, role);
    return role;
  };
  const api: ClusterRoleApi = {
    readClusterRole: async ({ name }) => {
      const role = roles.get(name);
      if (!role) throw apiError(404);
      return role;
    },
    createClusterRole: ({ body }) => write('create', body),
    replaceClusterRole: ({ body }) => write('replace', body),
  };
  return { api, writes };
}

const [driverRole, kernelRole, connectionsRole] = workloadClusterRoles() as [V1ClusterRole, V1ClusterRole, V1ClusterRole];
const widened: V1ClusterRole = { ...driverRole, rules: [...driverRole.rules!, { apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] };

describe('ensureClusterRoles: the ClusterRoles jobs and kernels are bound to', () => {
  test('an administrator (a GKE cluster the orchestrator created) installs missing ones and corrects different ones', async () => {
    const cluster = fakeCluster([widened], true);
    const warn = jest.fn();
    await ensureClusterRoles('gke-a', cluster.api, warn);
    expect(cluster.writes).toEqual([`replace ${driverRole.metadata!.name}`, `create ${kernelRole.metadata!.name}`, `create ${connectionsRole.metadata!.name}`]);
    expect(warn).not.toHaveBeenCalled();
  });

  test('with least privilege, roles as deploy/rbac defines them are only read', async () => {
    const cluster = fakeCluster([driverRole, kernelRole, connectionsRole], false);
    const warn = jest.fn();
    await ensureClusterRoles('local', cluster.api, warn);
    expect(cluster.writes).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  test('with least privilege, missing roles stop the start with what the operator must do', async () => {
    const failure = await ensureClusterRoles('local', fakeCluster([kernelRole, connectionsRole], false).api, jest.fn()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ClusterRolesMissing', nonRetryable: true });
    expect((failure as Error).message).toBe(
      `cluster 'local' has no ClusterRole ${workloadClusterRoleNames[0]} and this credential may not create ClusterRoles: an administrator applies deploy/rbac (kubectl apply -f deploy/rbac/)`);
  });

  test('with least privilege, a role that differs is reported, not fatal', async () => {
    const warn = jest.fn();
    await ensureClusterRoles('local', fakeCluster([widened, kernelRole, connectionsRole], false).api, warn);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain(`ClusterRole ${driverRole.metadata!.name} on cluster 'local' differs from deploy/rbac`);
  });

  test('a credential that may not even read them is told to have deploy/rbac applied', async () => {
    const api: ClusterRoleApi = { ...fakeCluster([], false).api, readClusterRole: () => Promise.reject(apiError(403)) };
    const failure = await ensureClusterRoles('onprem', api, jest.fn()).catch((error: unknown) => error);
    expect(failure).toMatchObject({ type: 'ClusterRolesUnchecked', nonRetryable: true });
    expect((failure as Error).message).toContain("cluster 'onprem': this credential may not read ClusterRole");
    expect((failure as Error).message).toContain('applies deploy/rbac');
  });

  test('in an activity, a refusal met for the first time (an API server just restarted, its RBAC caches empty) is tried again', async () => {
    const early = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() - 1_000 });
    const unreadable: ClusterRoleApi = { ...fakeCluster([], false).api, readClusterRole: () => Promise.reject(apiError(403)) };
    expect(await early.run(() => ensureClusterRoles('gke-new', unreadable, jest.fn()).catch((error: unknown) => error))).toMatchObject({ type: 'ClusterRolesUnchecked', nonRetryable: false });
    const missing = await early.run(() => ensureClusterRoles('gke-new', fakeCluster([kernelRole, connectionsRole], false).api, jest.fn()).catch((error: unknown) => error));
    expect(missing).toMatchObject({ type: 'ClusterRolesMissing', nonRetryable: false });
  });
});
