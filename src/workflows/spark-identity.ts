import { sparkDriverClusterRole, type SparkJobNames } from '../domain/spark-job.js';
import { kubernetesCalls as setup, kubernetesCleanupCalls as quickCleanup } from './activity-proxies.js';
import { reportClusterUse } from './cluster-use.js';
import { releaseUserSlot } from './user-quota.js';

/** Where a Spark job's identity lives, and for whom. */
export interface SparkIdentityTarget {
  user: string;
  cluster: string;
  namespace: string;
  autoCreateNamespace: boolean;
}

/** What may exist of a job's identity: recorded before each create, so the cleanup knows. */
export type SparkIdentityPart = 'serviceAccount' | 'roleBinding';

/**
 * A Spark job's namespace and temporary identity, the same in both deploy modes: the cluster told
 * of its use, the namespace ensured, then the service account and the role binding that scopes it
 * to the namespace. Each part is added to `created` before the call that creates it.
 */
export async function createSparkIdentity(job: SparkIdentityTarget, names: SparkJobNames, workflowId: string, created: { add(part: SparkIdentityPart): unknown }): Promise<void> {
  const target = { cluster: job.cluster, namespace: job.namespace };
  const owner = { kind: 'spark-job' as const, workflowId };
  await reportClusterUse(job.cluster, { workflowId, kind: 'spark-job', inUse: true });
  await setup.ensureNamespace({ ...target, autoCreate: job.autoCreateNamespace, ...owner });
  created.add('serviceAccount');
  await setup.createServiceAccount({ ...target, name: names.serviceAccount, ...owner });
  created.add('roleBinding');
  await setup.createRoleBinding({ ...target, name: names.roleBinding, clusterRole: sparkDriverClusterRole, serviceAccount: names.serviceAccount, ...owner });
}

/**
 * Removes what may exist of the identity (the binding, then the account: deleting it revokes every
 * token issued for it), then tells the cluster and gives the user's slot back. Never gives up;
 * run it in a non-cancellable scope, after whatever used the identity is gone.
 */
export async function removeSparkIdentity(job: SparkIdentityTarget, names: SparkJobNames, workflowId: string, created: { has(part: SparkIdentityPart): boolean }): Promise<void> {
  const target = { cluster: job.cluster, namespace: job.namespace };
  if (created.has('roleBinding')) await quickCleanup.deleteRoleBinding({ ...target, name: names.roleBinding });
  if (created.has('serviceAccount')) await quickCleanup.deleteServiceAccount({ ...target, name: names.serviceAccount });
  await reportClusterUse(job.cluster, { workflowId, kind: 'spark-job', inUse: false });
  await releaseUserSlot({ kind: 'spark-job', user: job.user });
}
