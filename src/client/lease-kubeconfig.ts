import { oneTimeKeyPair, open } from '../codec/sealed-box.js';
import { kubeconfigFor, type Kubeconfig } from '../domain/kubeconfig.js';
import { sparkJobWorkflowId } from '../domain/workflow-ids.js';
import type { SparkJobsClient } from './spark-jobs.js';

export interface LeaseKubeconfig {
  kubeconfig: Kubeconfig;
  tokenExpiresAt: string;
  namespace: string;
  serviceAccount: string;
  /** The lease's new expiry: obtaining a kubeconfig renews it. */
  expiresAt: string;
}

/**
 * A kubeconfig for a client-mode job's temporary account, with a fresh token, and a renewal of
 * its lease. The token is sealed by the worker to a key pair made here for this call alone: the
 * private key never leaves this function, so the token exists in the clear only here and in the
 * answer to the caller, never in Temporal. Ended or expired: 409.
 */
export async function leaseKubeconfig(jobs: SparkJobsClient, jobId: string): Promise<LeaseKubeconfig> {
  const keys = oneTimeKeyPair();
  const issued = await jobs.issueLeaseToken(jobId, keys.publicKey);
  const token = open(issued.sealedToken, keys.privateKey, sparkJobWorkflowId(jobId));
  return {
    kubeconfig: kubeconfigFor({
      context: sparkJobWorkflowId(jobId), server: issued.server, caCertificatePem: issued.caCert, namespace: issued.namespace, user: { token },
    }),
    tokenExpiresAt: issued.tokenExpiresAt,
    namespace: issued.namespace,
    serviceAccount: issued.serviceAccount,
    expiresAt: issued.expiresAt,
  };
}
