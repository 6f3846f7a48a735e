import { Type } from '@sinclair/typebox';
import { SparkJobsClient } from '../../client/spark-jobs.js';
import { driverLogKeptBytes } from '../../domain/driver-log.js';
import { sparkDeployModes, sparkJobPhases, type SparkDeployMode, type SparkJobPhase } from '../../domain/spark-job.js';
import { leaseKubeconfig } from '../../client/lease-kubeconfig.js';
import type { Api, ApiDeps } from '../api-types.js';
import { errorResponse } from '../errors.js';
import { logWorkflow } from '../request-log.js';
import { SparkJobRequest } from '../../client/spark-job-request.js';
import { submitSparkJob } from '../../client/submit-spark-job.js';
import { userFilter } from './shared-schemas.js';

const JobParams = Type.Object({ jobId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' }) });
const Accepted = Type.Object({ jobId: Type.String(), workflowId: Type.String() }, { description: 'The job is starting, or already exists under this jobId' });
const Status = Type.Object({
  jobId: Type.String(), user: Type.String(),
  phase: Type.Unsafe<SparkJobPhase>({ type: 'string', enum: [...sparkJobPhases], description: 'PENDING → SUBMITTING → RUNNING → SUCCEEDED | FAILED | CANCELLED' }),
  namespace: Type.String(), serviceAccount: Type.String({ description: "The job's own, deleted at the end" }), driverPod: Type.String(),
  exitCode: Type.Optional(Type.Integer({ description: "The driver's, once it has ended" })),
  error: Type.Optional(Type.String({ description: 'Why the job failed or was cancelled' })),
  cleanedUp: Type.Boolean({ description: 'The driver pod, role binding and service account are gone' }),
  deployMode: Type.Unsafe<SparkDeployMode>({ type: 'string', enum: [...sparkDeployModes], description: 'client: the driver runs on the caller\'s host (driverPod is empty), which holds a lease on the identity' }),
  lease: Type.Optional(Type.Object({
    expiresAt: Type.String({ description: 'The identity is removed unless the lease is renewed before then' }),
    leaseSeconds: Type.Integer({ description: 'How long each renewal holds' }),
  }, { description: 'Client mode only' })),
}, { description: "The job's phase, identity and outcome" });
const LeaseExpiry = Type.Object({ expiresAt: Type.String({ description: 'The identity is removed unless the lease is renewed before then' }) }, { description: 'The lease renewed' });
const LeaseKubeconfig = Type.Object({
  kubeconfig: Type.Object({
    apiVersion: Type.Literal('v1'), kind: Type.Literal('Config'),
    clusters: Type.Array(Type.Object({ name: Type.String(), cluster: Type.Object({ server: Type.String(), 'certificate-authority-data': Type.Optional(Type.String()) }) })),
    users: Type.Array(Type.Object({ name: Type.String(), user: Type.Object({ token: Type.String({ description: "A bound token of the job's account, from the TokenRequest API" }) }) })),
    contexts: Type.Array(Type.Object({ name: Type.String(), context: Type.Object({ cluster: Type.String(), user: Type.String(), namespace: Type.Optional(Type.String()) }) })),
    'current-context': Type.String(),
    preferences: Type.Object({}),
  }, { description: 'Write it to a file (mode 0600) and point KUBECONFIG or spark.kubernetes.context at it; JSON is YAML' }),
  tokenExpiresAt: Type.String({ description: 'Ask again before then for a fresh token: a job may outlive many tokens' }),
  namespace: Type.String(), serviceAccount: Type.String(),
  expiresAt: Type.String({ description: "The lease's new expiry: asking for a kubeconfig renews it" }),
}, { description: "A kubeconfig of the job's temporary account; the lease renewed" });
const leaseEnded = errorResponse('The job has ended, its lease has expired, or it runs in cluster mode (CONFLICT)');
const Summary = Type.Object({
  jobId: Type.String(), user: Type.String(), workflowId: Type.String(),
  executionStatus: Type.String({ description: "The Temporal workflow's: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, …" }), startTime: Type.String(),
  phase: Type.Optional(Type.String({ description: 'Absent when its status query fails (no worker polls the task queue)' })),
});

export function sparkJobRoutes(deps: Pick<ApiDeps, 'temporal' | 'taskQueue' | 'orchestratorNamespace' | 'sparkMaxInFlightPerUser' | 'knownClusters'>) {
  const jobs = new SparkJobsClient(deps.temporal.client, deps.taskQueue);
  return async function register(app: Api): Promise<void> {
    const config = { scope: 'spark-jobs' as const, computeKind: 'spark-job' as const };
    const tags = ['spark-jobs'];

    app.post('/v1/spark-jobs', {
      config,
      schema: {
        operationId: 'startSparkJob', tags,
        summary: 'Start a Spark job (idempotent on jobId); 409 LIMIT_EXCEEDED when the user has the maximum of jobs in flight',
        description: 'A job on a `cluster` that does not exist or is not RUNNING is refused: 400 naming `cluster`. '
          + 'With `deployMode: client` the orchestrator makes the namespace and the temporary identity and runs no spark-submit: '
          + 'the caller gets kubeconfigs of the identity, renews the lease within `leaseSeconds` and ends the job; `app` must then be absent.',
        body: SparkJobRequest,
        response: { 202: Accepted, 409: errorResponse('The user has the maximum of Spark jobs in flight (LIMIT_EXCEEDED)') },
      },
    }, async (request, reply) => {
      const started = await submitSparkJob({
        temporal: deps.temporal.client, taskQueue: deps.taskQueue, orchestratorNamespace: deps.orchestratorNamespace, maxInFlightPerUser: deps.sparkMaxInFlightPerUser, knownClusters: deps.knownClusters,
      }, request.body);
      logWorkflow(request, reply, 'spark-job', started.workflowId);
      return reply.status(202).send({ jobId: started.jobId, workflowId: started.workflowId });
    });

    app.get('/v1/spark-jobs/:jobId', { config, schema: { operationId: 'getSparkJob', tags, summary: 'Status of a Spark job', params: JobParams, response: { 200: Status } } },
      (request) => jobs.status(request.params.jobId));

    app.get('/v1/spark-jobs/:jobId/log', {
      config,
      schema: {
        operationId: 'getSparkJobLog', tags,
        summary: `The end of the driver's log (at most ${driverLogKeptBytes / 1024} KiB), kept when the job ended`,
        description: 'Read before the driver pod is deleted, whether the job succeeded, failed or was cancelled, and served as long as Temporal keeps the closed job.',
        params: JobParams,
        response: {
          200: { description: "The end of the driver's log, starting on a line", content: { 'text/plain': { schema: Type.String() } } },
          404: errorResponse('No such job, or it ended without a driver log; the message says why (NOT_FOUND)'),
          409: errorResponse('The job has not ended yet (CONFLICT)'),
        },
      },
    }, async (request, reply) => reply.type('text/plain; charset=utf-8').send(await jobs.log(request.params.jobId)));

    app.post('/v1/spark-jobs/:jobId/cancel', {
      config,
      schema: {
        operationId: 'cancelSparkJob', tags,
        summary: 'Cancel a Spark job: the driver is stopped and the identity removed',
        description: 'The body is required, `{}` at least. The job then ends CANCELLED once cleaned up.',
        params: JobParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1024, description: "Kept in the job's error" })) }, { additionalProperties: false })),
        response: { 202: Type.Object({ jobId: Type.String() }, { description: 'Cancel requested' }), 409: errorResponse('The job has already ended (CONFLICT)') },
      },
    }, async (request, reply) => {
      await jobs.cancel(request.params.jobId, { reason: request.body?.reason, by: request.principal?.name });
      return reply.status(202).send({ jobId: request.params.jobId });
    });

    app.post('/v1/spark-jobs/:jobId/lease', {
      config,
      schema: {
        operationId: 'renewSparkJobLease', tags,
        summary: "Renew a client-mode job's lease",
        description: 'Renew well within `leaseSeconds` (every third of it, say): a lease not renewed for `leaseSeconds` ends the job FAILED and removes its identity.',
        params: JobParams,
        response: { 200: LeaseExpiry, 409: leaseEnded },
      },
    }, (request) => jobs.renewLease(request.params.jobId));

    app.post('/v1/spark-jobs/:jobId/kubeconfig', {
      config,
      schema: {
        operationId: 'getSparkJobKubeconfig', tags,
        summary: "A kubeconfig of a client-mode job's temporary account, with a fresh short-lived token; renews the lease",
        description: 'The token is made for this answer only and never stored by the orchestrator; deleting the account at the end revokes it. '
          + 'Asked right after the start, the answer waits until the identity exists.',
        params: JobParams,
        response: { 200: LeaseKubeconfig, 409: leaseEnded },
      },
    }, (request) => leaseKubeconfig(jobs, request.params.jobId));

    app.post('/v1/spark-jobs/:jobId/end', {
      config,
      schema: {
        operationId: 'endSparkJob', tags,
        summary: 'End a client-mode job: its identity is removed (its tokens then refused)',
        description: 'The body is required, `{}` at least. Exit code 0 or none: SUCCEEDED; another: FAILED with that exit code.',
        params: JobParams,
        body: Type.Optional(Type.Object({ exitCode: Type.Optional(Type.Integer({ minimum: -2147483648, maximum: 2147483647, description: "The driver's" })) }, { additionalProperties: false })),
        response: { 202: Type.Object({ jobId: Type.String() }, { description: 'End requested' }), 409: leaseEnded },
      },
    }, async (request, reply) => {
      await jobs.end(request.params.jobId, { exitCode: request.body?.exitCode, by: request.principal?.name });
      return reply.status(202).send({ jobId: request.params.jobId });
    });

    app.get('/v1/spark-jobs', {
      config,
      schema: {
        operationId: 'listSparkJobs', tags,
        summary: 'Spark jobs, newest first',
        querystring: userFilter('jobs'),
        response: { 200: Type.Object({ jobs: Type.Array(Summary) }, { description: 'At most 100 jobs, newest first' }) },
      },
    }, async (request) => ({ jobs: await jobs.list({ user: request.query.user }) }));
  };
}
