import { CoreV1Api } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownershipMarks } from '../domain/labels.js';
import { sparkJobNames, type SparkJobInput } from '../domain/spark-job.js';
import { sparkSubmitArguments } from '../domain/spark-submit.js';
import { requestServiceAccountToken } from './identity.js';
import { isNotFound, refusal } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import { callPatiently } from './kubernetes/patient-call.js';
import type { SparkSubmission } from './spark-submitter.js';

/** spark-submit failing for a reason we cannot tell is tried this many times. */
const maxUnexplainedFailures = 5;
/** What fabric8 (Spark's Kubernetes client) prints when the API server answers 429/5xx or the connection breaks. */
const transientApiTrouble = /\b(429|500|502|503|504)\b|Too Many Requests|Service Unavailable|Internal Server Error|Connection reset|ECONNRESET|SocketTimeoutException|timed out/i;

/** Long enough for spark-submit to create the driver; the shortest lifetime the API server grants. */
const submissionTokenSeconds = 600;

export function sparkSubmitActivities(clusters: ClusterConnector, submission: SparkSubmission) {
  return {
    /**
     * Submits the job in cluster mode, as the job's temporary service account, with spark-submit's
     * arguments: to the Spark submitter, or to a spark-submit process (SPARK_SUBMIT_MODE).
     * The token is requested here, written to a 0600 file in a private directory for the run and
     * removed afterwards: it never leaves this function. Idempotent: when the deterministic
     * driver pod already exists (an earlier attempt got that far), nothing is submitted again.
     */
    async submitSparkJob(input: SparkJobInput): Promise<{ submitted: boolean }> {
      const context = Context.current();
      const names = sparkJobNames(input.jobId);
      const access = await clusters.access(input.cluster);
      const core = access.config.makeApiClient(CoreV1Api);
      // Its two calls are tried again at once when they fail in a way that may pass: under
      // 30 % API errors, failing the attempt at each put a minute of retry backoff on a job's start.
      const driverExists = async (): Promise<boolean> => {
        try {
          await callPatiently(`read pod ${input.namespace}/${names.driverPod}`, () => core.readNamespacedPod({ name: names.driverPod, namespace: input.namespace }), [404]);
          return true;
        } catch (error) {
          if (isNotFound(error)) return false;
          throw error;
        }
      };
      // The job id and user come with every line (src/activities/log-context.ts); `namespace` is the SDK's Temporal namespace.
      const about = { k8sNamespace: input.namespace, driverPod: names.driverPod };
      if (await driverExists()) {
        context.log.info('driver already exists: an earlier attempt submitted the job', about);
        return { submitted: false };
      }

      const dir = await mkdtemp(join(tmpdir(), 'spark-submit-'));
      let token = '';
      try {
        ({ token } = await requestServiceAccountToken(core, { namespace: input.namespace, name: names.serviceAccount }, submissionTokenSeconds));
        const tokenFile = join(dir, 'token');
        const caCertFile = join(dir, 'ca.crt');
        await writeFile(tokenFile, token, { mode: 0o600 });
        await writeFile(caCertFile, access.caCert, { mode: 0o600 });
        const args = sparkSubmitArguments(input, names, { apiServer: access.server, caCertFile, tokenFile }, ownershipMarks('spark-job', names.workflowId));
        context.log.info('submitting the job to Spark', about);
        const result = await submission.submit(args, { signal: context.cancellationSignal, onTick: () => context.heartbeat() });
        if (result.ok || (await driverExists())) {
          context.log.info('Spark created the driver', about);
          return { submitted: true };
        }
        const output = result.output.split(token).join('[token]').trim().split('\n').filter((line) => !/^\s+at /.test(line)).slice(-8).join('\n');
        const message = `Spark's submission failed: ${output}`;
        // A refusal of the API server or of Spark's own checks will not change by trying again,
        // unless the API server has just started (its RBAC caches empty).
        if (/Forbidden/.test(output)) throw refusal(message, 'SparkSubmitRejected');
        if (/IllegalArgumentException|SparkException|ClassNotFoundException/.test(output)) throw ApplicationFailure.nonRetryable(message, 'SparkSubmitRejected');
        // An API server that is busy or briefly away: as for our own calls, try again (the workflow bounds the total time).
        if (transientApiTrouble.test(output)) throw ApplicationFailure.retryable(message, 'KubernetesUnavailable');
        if (context.info.attempt >= maxUnexplainedFailures) throw ApplicationFailure.nonRetryable(`${message} (attempt ${context.info.attempt}, giving up)`, 'SparkSubmitFailed');
        throw ApplicationFailure.retryable(message, 'SparkSubmitFailed');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
