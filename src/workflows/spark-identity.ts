import { patched } from '@temporalio/workflow';
import { sparkDriverClusterRole, type SparkJobNames } from '../domain/spark-job.js';
import { kubernetesCalls as setup, kubernetesCleanupCalls as quickCleanup } from './activity-proxies.js';
import { clusterUseNotice, reportClusterUse } from './cluster-use.js';
import { allSettled } from './side-by-side.js';
import { releaseUserSlot, slotReleaseNotice } from './user-quota.js';

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
 * Histories that created the account and then the binding one call after the other, removed them
 * so, and signalled the cluster's and the quota's workflows from the workflow, replay so.
 */
const callsTogetherPatch = 'spark-identity-calls-together';

/**
 * Whether this run makes its identity calls side by side. Asked once, first thing in the run: a
 * patch asked after a local activity of the same workflow task is not recognised when that task
 * is replayed (TMPRL1100 "patch marker encountered … no corresponding change command", met when a
 * query replayed a job whose cleanup asked it after reading the driver's log).
 */
export function identityCallsTogether(): boolean {
  return patched(callsTogetherPatch);
}

/**
 * A Spark job's namespace and temporary identity, the same in both deploy modes: the cluster told
 * of its use, the namespace ensured, then the service account and the role binding that scopes it
 * to the namespace (side by side when `together`: a binding names its account, it does not need
 * it to exist). Each part is added to `created` before the call that creates it.
 */
export async function createSparkIdentity(
  job: SparkIdentityTarget, names: SparkJobNames, workflowId: string, created: { add(part: SparkIdentityPart): unknown }, together: boolean,
): Promise<void> {
  const target = { cluster: job.cluster, namespace: job.namespace };
  const owner = { kind: 'spark-job' as const, workflowId };
  await reportClusterUse(job.cluster, { workflowId, kind: 'spark-job', inUse: true });
  await setup.ensureNamespace({ ...target, autoCreate: job.autoCreateNamespace, ...owner });
  const createAccount = () => setup.createServiceAccount({ ...target, name: names.serviceAccount, ...owner });
  const createBinding = () => setup.createRoleBinding({ ...target, name: names.roleBinding, clusterRole: sparkDriverClusterRole, serviceAccount: names.serviceAccount, ...owner });
  if (together) {
    created.add('serviceAccount');
    created.add('roleBinding');
    await allSettled([createAccount(), createBinding()]);
    return;
  }
  created.add('serviceAccount');
  await createAccount();
  created.add('roleBinding');
  await createBinding();
}

/**
 * Removes what may exist of the identity (the binding and the account, side by side when
 * `together`: deleting the account revokes every token issued for it), then tells the cluster and
 * gives the user's slot back (when `together`, both from one local activity, so that the job
 * closes in the same workflow task). Never gives up; run it in a non-cancellable scope, after whatever used the
 * identity is gone.
 */
export async function removeSparkIdentity(
  job: SparkIdentityTarget, names: SparkJobNames, workflowId: string, created: { has(part: SparkIdentityPart): boolean }, together: boolean,
): Promise<void> {
  const target = { cluster: job.cluster, namespace: job.namespace };
  const removeBinding = () => (created.has('roleBinding') ? quickCleanup.deleteRoleBinding({ ...target, name: names.roleBinding }) : Promise.resolve());
  const removeAccount = () => (created.has('serviceAccount') ? quickCleanup.deleteServiceAccount({ ...target, name: names.serviceAccount }) : Promise.resolve());
  const use = { workflowId, kind: 'spark-job' as const, inUse: false };
  const owner = { kind: 'spark-job' as const, user: job.user };
  if (together) {
    await Promise.all([removeBinding(), removeAccount()]);
    await quickCleanup.signalWorkflows({ signals: [...clusterUseNotice(job.cluster, use), slotReleaseNotice(owner)] });
    return;
  }
  await removeBinding();
  await removeAccount();
  await reportClusterUse(job.cluster, use);
  await releaseUserSlot(owner);
}
