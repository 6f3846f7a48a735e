import {
  allHandlersFinished, ApplicationFailure, CancellationScope, condition, continueAsNew, defineSignal, defineUpdate, proxyLocalActivities,
  setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  sparkJobNames, sparkLeaseStatusAtStart, type IssuedLeaseToken, type LeaseTokenRequest, type SparkJobEnd, type SparkJobStatus, type SparkLease, type SparkLeaseInput,
  type SparkLeaseResume,
} from '../domain/spark-job.js';
import { handleStopSignal, settle } from './ending.js';
import { historyIsLong } from './history-length.js';
import { recordEnding } from './outcome-metrics.js';
import { enterPhase } from './phase.js';
import { cancelSparkJobSignal, sparkJobStatusQuery } from './spark-job.js';
import { createSparkIdentity, identityCallsTogether, removeSparkIdentity, type SparkIdentityPart } from './spark-identity.js';

/** The caller keeps its lease alive; answers the new expiry. Refused once the lease has ended or expired. */
export const renewSparkLeaseUpdate = defineUpdate<SparkLease, []>('renewLease');
/**
 * A fresh token of the job's account, sealed to the caller's one-time key; renews the lease. Waits
 * while the identity is being made, so a caller may ask right after starting the job.
 */
export const issueLeaseTokenUpdate = defineUpdate<IssuedLeaseToken, [LeaseTokenRequest]>('issueLeaseToken');
/** The caller's driver has ended: the identity is removed, the job SUCCEEDED (exit code 0) or FAILED. */
export const endSparkJobSignal = defineSignal<[SparkJobEnd]>('end');

/**
 * A token is asked for by a request that waits for it: a few quick attempts, then the request
 * fails (and may be made again) rather than hanging on an API server in trouble.
 */
const tokenCalls = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** Each renewal adds an update's events: a lease renewed for days continues as new before its history grows large. */
const defaultHistoryEventLimit = 2_000;
/** What a caller's public key may look like: base64 of a short DER key. */
const publicKeyPattern = /^[A-Za-z0-9+/]{16,512}={0,2}$/;

/**
 * A client-mode Spark job: the caller's host runs the driver, so the workflow makes the namespace
 * and the temporary identity exactly as for cluster mode, runs no spark-submit, and keeps the
 * identity while the caller renews its lease (a renewal, or a token asked for, at least every
 * `leaseSeconds`). The caller ending the job, a cancel, the lease expiring or the job's timeout
 * removes the identity, which revokes every token issued for it. Tokens never pass through here
 * in the clear: the activity seals each to the requesting API call's one-time key.
 */
export async function sparkLease(input: SparkLeaseInput): Promise<SparkJobStatus> {
  // First, before any local activity (see identityCallsTogether).
  const together = identityCallsTogether();
  const { workflowId } = workflowInfo();
  const names = sparkJobNames(input.jobId);
  const { resume } = input;
  const startedAt = resume?.startedAt ?? Date.now();
  const deadline = input.timeoutSeconds ? startedAt + input.timeoutSeconds * 1000 : Infinity;
  let expiresAt = resume?.leaseExpiresAt ?? startedAt + input.leaseSeconds * 1000;
  // Every renewal or end wakes the loop that holds the lease.
  let wakes = 0;
  let ending: SparkJobEnd | undefined;
  const status = sparkLeaseStatusAtStart(input);
  const lease = (): SparkLease => ({ expiresAt: new Date(expiresAt).toISOString(), leaseSeconds: input.leaseSeconds });
  const snapshot = (): SparkJobStatus => ({ ...status, lease: lease() });
  setHandler(sparkJobStatusQuery, snapshot);

  const live = (): boolean => (status.phase === 'PENDING' || status.phase === 'RUNNING') && ending === undefined;
  /** A lease past its expiry is over even before the loop has acted on it: it is never brought back. */
  const refuseEnded = (): void => {
    if (!live()) throw ApplicationFailure.nonRetryable(`spark job '${input.jobId}' has ended (${status.phase}): its lease cannot be renewed`, 'SparkLeaseEnded');
    if (Date.now() >= expiresAt) throw ApplicationFailure.nonRetryable(`the lease of spark job '${input.jobId}' has expired`, 'SparkLeaseEnded');
  };
  const renew = (): SparkLease => {
    expiresAt = Date.now() + input.leaseSeconds * 1000;
    wakes++;
    return lease();
  };
  setHandler(renewSparkLeaseUpdate, renew, { validator: refuseEnded });
  setHandler(issueLeaseTokenUpdate, async ({ publicKey }) => {
    renew();
    await condition(() => status.phase !== 'PENDING');
    refuseEnded();
    const issued = await tokenCalls.issueLeaseToken({
      cluster: input.cluster, namespace: input.namespace, serviceAccount: names.serviceAccount, publicKey, context: workflowId,
    });
    // A lease that ended meanwhile has deleted, or is deleting, the account: the token is useless.
    refuseEnded();
    return { ...issued, namespace: input.namespace, serviceAccount: names.serviceAccount, expiresAt: lease().expiresAt };
  }, {
    validator: ({ publicKey }) => {
      refuseEnded();
      if (typeof publicKey !== 'string' || !publicKeyPattern.test(publicKey)) throw ApplicationFailure.nonRetryable('publicKey must be an X25519 public key (SPKI DER, base64)', 'InvalidLeaseKey');
    },
  });
  setHandler(endSparkJobSignal, (end) => {
    if (!live()) return;
    ending = end;
    wakes++;
  });
  const job = new CancellationScope();
  const cancel = handleStopSignal(cancelSparkJobSignal, job, { bySignal: 'cancelled', byTemporal: 'cancelled' }, () => !live());

  // A resumed run inherits the identity the first run made.
  const created = new Set<SparkIdentityPart>(resume ? ['serviceAccount', 'roleBinding'] : []);
  let next: SparkLeaseResume | undefined;
  let cancellation: Error | undefined;
  try {
    await job.run(async () => {
      if (!resume) {
        await createSparkIdentity(input, names, workflowId, created, together);
        enterPhase(status, 'RUNNING');
      }
      for (;;) {
        if (ending) {
          status.exitCode = ending.exitCode ?? 0;
          if (status.exitCode === 0) {
            enterPhase(status, 'SUCCEEDED');
          } else {
            enterPhase(status, 'FAILED');
            status.error = `the driver exited with code ${status.exitCode} (reported by ${ending.by ?? 'the caller'})`;
          }
          return;
        }
        const now = Date.now();
        if (now >= expiresAt) throw ApplicationFailure.nonRetryable(`the lease expired: not renewed within ${input.leaseSeconds}s`, 'SparkLeaseExpired');
        if (now >= deadline) throw ApplicationFailure.nonRetryable(`the job ran longer than its timeout of ${input.timeoutSeconds}s`, 'SparkJobTimeout');
        if (historyIsLong(input.historyEventLimit ?? defaultHistoryEventLimit)) {
          // Updates under way answer first; an end that came meanwhile is acted on here, not lost.
          await condition(allHandlersFinished);
          if (ending) continue;
          next = { startedAt, leaseExpiresAt: expiresAt };
          return;
        }
        const seen = wakes;
        await condition(() => wakes !== seen, Math.min(expiresAt, deadline) - now);
      }
    });
  } catch (error) {
    const interruption = cancel.interruption(error);
    enterPhase(status, interruption.stopped ? 'CANCELLED' : 'FAILED');
    status.error = interruption.error;
    cancellation = interruption.cancellation;
  }
  if (next) return await continueAsNew<typeof sparkLease>({ ...input, resume: next });

  const cleanupStartedAt = Date.now();
  await CancellationScope.nonCancellable(() => removeSparkIdentity(input, names, workflowId, created, together));
  status.cleanedUp = true;
  recordEnding('spark-job', status.phase, Date.now() - cleanupStartedAt);
  // A token request under way fails once it sees the end; the run ends after it has answered.
  await condition(allHandlersFinished);
  return settle(snapshot(), cancellation, { type: 'SparkJobFailed', otherwise: 'the job failed' });
}
