import { CoreV1Api } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { seal, SealedBoxError } from '../codec/sealed-box.js';
import type { SealedBox } from '../domain/sealed-box.js';
import { requestServiceAccountToken } from './identity.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';

/**
 * A lease's tokens live this long: the API server's shortest. Callers ask again before the end
 * for a fresh one; the lease's end revokes them all sooner (its account is deleted).
 */
export const leaseTokenSeconds = 600;

export interface LeaseTokenCall {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  /** The requester's one-time X25519 public key. */
  publicKey: string;
  /** What the box is bound to: the lease's workflow id. */
  context: string;
}

export interface SealedLeaseToken {
  sealedToken: SealedBox;
  tokenExpiresAt: string;
  server: string;
  caCert: string;
}

export function leaseTokenActivities(clusters: ClusterConnector) {
  return {
    /**
     * A fresh token of a lease's account, sealed to the requester's key before it leaves this
     * function: what the activity returns (and history keeps) opens only with the requester's
     * private key. Running it twice mints two tokens, both revoked with the account.
     */
    async issueLeaseToken(call: LeaseTokenCall): Promise<SealedLeaseToken> {
      const access = await clusters.access(call.cluster);
      const { token, expiresAt } = await requestServiceAccountToken(access.config.makeApiClient(CoreV1Api),
        { namespace: call.namespace, name: call.serviceAccount }, leaseTokenSeconds);
      let sealedToken: SealedBox;
      try {
        sealedToken = seal(token, call.publicKey, call.context);
      } catch (error) {
        if (error instanceof SealedBoxError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidLeaseKey');
        throw error;
      }
      return { sealedToken, tokenExpiresAt: expiresAt, server: access.server, caCert: access.caCert };
    },
  };
}
