import {
  ApplicationFailure, CancellationScope, defineQuery, defineSignal, log, patched, proxyActivities, setHandler, sleep, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { PodRef } from '../activities/pods.js';
import type { DriverLog } from '../domain/driver-log.js';
import { sparkJobNames, sparkJobStatusAtStart, type SparkJobInput, type SparkJobStatus } from '../domain/spark-job.js';
import { localPodCleanup, logReads, podCleanup, podWatches } from './activity-proxies.js';
import { handleStopSignal, settle, type StopRequest } from './ending.js';
import { shortFailureMessage, timedOut } from './failure-message.js';
import { recordEnding } from './outcome-metrics.js';
import { enterPhase } from './phase.js';
import { createSparkIdentity, identityCallsTogether, removeSparkIdentity, type SparkIdentityPart } from './spark-identity.js';

export const cancelSparkJobSignal = defineSignal<[StopRequest]>('cancel');
export const sparkJobStatusQuery = defineQuery<SparkJobStatus>('status');
/** The end of the driver's log once the job has ended: user data, answered only as a (codec-encrypted) payload. */
export const sparkJobDriverLogQuery = defineQuery<DriverLog>('driverLog');

/** Spark's name for the driver's container, whose exit code is the job's result. */
const driverContainer = 'spark-kubernetes-driver';

/**
 * Submitting: an API server in trouble is retried for up to 30 minutes in all; spark-submit
 * failing for a reason it does not explain gives up after a few attempts (the activity decides).
 */
const submission = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  scheduleToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

type Created = SparkIdentityPart | 'driver';

/** Histories whose ended driver's pod was deleted by an activity through the server replay so. */
const localDriverDeletionPatch = 'spark-job-deletes-driver-locally';
/** Histories whose cleanup ran before this change replay without the log read, and keep no log. */
const keepDriverLogPatch = 'spark-job-keeps-driver-log';
/** A reason for keeping no log is shown in API errors: one short line. */
const noLogReasonLength = 300;

/**
 * The end of the driver's log, read before its pod is deleted (whether the driver ended, was
 * cancelled or timed out). A log that cannot be read is recorded with why: never a reason to
 * fail the job, and never more than 15 s of its cleanup.
 */
async function keepDriverLog(driver: PodRef & { container: string }): Promise<DriverLog> {
  if (!patched(keepDriverLogPatch)) return { state: 'NOT_KEPT', reason: 'the job ended before the orchestrator kept driver logs' };
  try {
    return { state: 'KEPT', text: await logReads.readPodLogTail(driver) };
  } catch (error) {
    // The SDK's words for a timeout ("Activity timed out") would puzzle a user.
    const reason = timedOut(error) ? "reading the driver's log timed out" : shortFailureMessage(error, noLogReasonLength);
    log.info('driver log not kept', { reason });
    return { state: 'NOT_KEPT', reason };
  }
}

/** Races `work` against the job's timeout; the loser is cancelled. */
async function withinTimeout<T>(work: () => Promise<T>, timeoutSeconds: number | undefined): Promise<T> {
  if (!timeoutSeconds) return work();
  const workScope = new CancellationScope();
  const timerScope = new CancellationScope();
  // A cancel of the whole job cancels the timer too: its rejection is the job's cancellation, which
  // the race must pass on (read as "work ended", it made a cancelled job FAILED).
  const timedOut = timerScope.run(() => sleep(timeoutSeconds * 1000)).then(() => true as const);
  const result = await Promise.race([workScope.run(work), timedOut]);
  if (result === true) {
    workScope.cancel();
    throw ApplicationFailure.nonRetryable(`the job ran longer than its timeout of ${timeoutSeconds}s`, 'SparkJobTimeout');
  }
  timerScope.cancel();
  return result;
}

/**
 * One Spark job: namespace, temporary identity, spark-submit, watch, and cleanup whatever
 * happens. What was created is recorded before each create call, so the cleanup that runs after
 * a failure, a cancel or a worker crash knows everything that may exist.
 */
export async function sparkJob(input: SparkJobInput): Promise<SparkJobStatus> {
  // Patches first, before any local activity (see identityCallsTogether).
  const together = identityCallsTogether();
  const deletesEndedDriverLocally = patched(localDriverDeletionPatch);
  const { workflowId } = workflowInfo();
  const names = sparkJobNames(input.jobId);
  const status = sparkJobStatusAtStart(input);
  setHandler(sparkJobStatusQuery, () => status);
  let driverLog: DriverLog = { state: 'PENDING' };
  setHandler(sparkJobDriverLogQuery, () => driverLog);

  const job = new CancellationScope();
  const cancel = handleStopSignal(cancelSparkJobSignal, job, { bySignal: 'cancelled', byTemporal: 'cancelled' }, () => status.phase === 'SUCCEEDED' || status.phase === 'FAILED');

  const created = new Set<Created>();
  const target = { cluster: input.cluster, namespace: input.namespace };
  let cancellation: Error | undefined;
  let driverEnded = false;
  try {
    await job.run(async () => {
      await createSparkIdentity(input, names, workflowId, created, together);
      enterPhase(status, 'SUBMITTING');
      created.add('driver');
      await submission.submitSparkJob(input);
      enterPhase(status, 'RUNNING');
      const end = await withinTimeout(() => podWatches().watchPodUntilEnd({ ...target, name: names.driverPod, container: driverContainer }), input.timeoutSeconds);
      driverEnded = true;
      status.exitCode = end.exitCode;
      if (end.succeeded && end.exitCode === 0) {
        enterPhase(status, 'SUCCEEDED');
      } else {
        enterPhase(status, 'FAILED');
        status.error = `the driver exited with code ${end.exitCode}${end.reason ? ` (${end.reason})` : ''}`;
      }
    });
  } catch (error) {
    const interruption = cancel.interruption(error);
    enterPhase(status, interruption.stopped ? 'CANCELLED' : 'FAILED');
    status.error = interruption.error;
    cancellation = interruption.cancellation;
  }

  const cleanupStartedAt = Date.now();
  await CancellationScope.nonCancellable(async () => {
    // The driver first (its executors, service and config maps follow by owner reference), and
    // the account only once the driver is gone: deleting it revokes the driver's tokens.
    if (created.has('driver')) {
      driverLog = await keepDriverLog({ ...target, name: names.driverPod, container: driverContainer });
      // Within the workflow task only once the watch has seen the driver end. A cancel or the
      // timeout asks the watch to stop when this task completes; a driver deleted before that is
      // seen gone by its watch, and the job ended FAILED ("disappeared") instead of as it was stopped.
      const deletion = driverEnded && deletesEndedDriverLocally ? localPodCleanup : podCleanup;
      await deletion.deletePodAndWait({ ...target, name: names.driverPod });
    } else {
      driverLog = { state: 'NOT_KEPT', reason: 'the job ended before its driver was submitted' };
    }
    await removeSparkIdentity(input, names, workflowId, created, together);
  });
  status.cleanedUp = true;
  recordEnding('spark-job', status.phase, Date.now() - cleanupStartedAt);
  return settle(status, cancellation, { type: 'SparkJobFailed', otherwise: 'the job failed' });
}
