import { Type } from '@sinclair/typebox';
import { randomUUID } from 'node:crypto';
import { ClustersClient } from '../../client/clusters.js';
import { SparkJobsClient } from '../../client/spark-jobs.js';
import { sparkJobPhases, type SparkJobPhase } from '../../domain/spark-job.js';
import type { Api, ApiDeps } from '../app.js';
import { logWorkflow } from '../request-log.js';
import { SparkJobRequest, toSparkJobInput } from '../../client/spark-job-request.js';

const JobParams = Type.Object({ jobId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' }) });
const Accepted = Type.Object({ jobId: Type.String(), workflowId: Type.String() });
const Status = Type.Object({
  jobId: Type.String(), user: Type.String(),
  phase: Type.Unsafe<SparkJobPhase>({ type: 'string', enum: [...sparkJobPhases] }),
  namespace: Type.String(), serviceAccount: Type.String(), driverPod: Type.String(),
  exitCode: Type.Optional(Type.Integer()), error: Type.Optional(Type.String()), cleanedUp: Type.Boolean(),
});
const Summary = Type.Object({
  jobId: Type.String(), user: Type.String(), workflowId: Type.String(), executionStatus: Type.String(), startTime: Type.String(), phase: Type.Optional(Type.String()),
});

export function sparkJobRoutes(deps: Pick<ApiDeps, 'temporal' | 'taskQueue' | 'orchestratorNamespace' | 'sparkMaxInFlightPerUser'>) {
  const jobs = new SparkJobsClient(deps.temporal.client, deps.taskQueue, deps.sparkMaxInFlightPerUser);
  const clusters = new ClustersClient(deps.temporal.client, deps.taskQueue);
  return async function register(app: Api): Promise<void> {
    const config = { scope: 'spark-jobs' as const, computeKind: 'spark-job' as const };

    app.post('/v1/spark-jobs', {
      config,
      schema: { summary: 'Start a Spark job (idempotent on jobId); 409 LIMIT_EXCEEDED when the user has the maximum of jobs in flight', body: SparkJobRequest, response: { 202: Accepted } },
    }, async (request, reply) => {
      const input = toSparkJobInput(request.body, { newJobId: randomUUID, orchestratorNamespace: deps.orchestratorNamespace });
      await clusters.requireRunning(input.cluster, 'cluster');
      const started = await jobs.start(input);
      logWorkflow(request, reply, 'spark-job', started.workflowId);
      return reply.status(202).send({ jobId: started.jobId, workflowId: started.workflowId });
    });

    app.get('/v1/spark-jobs/:jobId', { config, schema: { summary: 'Status of a Spark job', params: JobParams, response: { 200: Status } } },
      (request) => jobs.status(request.params.jobId));

    app.post('/v1/spark-jobs/:jobId/cancel', {
      config,
      schema: {
        summary: 'Cancel a Spark job: the driver is stopped and the identity removed',
        params: JobParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false })),
        response: { 202: Type.Object({ jobId: Type.String() }) },
      },
    }, async (request, reply) => {
      await jobs.cancel(request.params.jobId, { reason: request.body?.reason, by: request.principal?.name });
      return reply.status(202).send({ jobId: request.params.jobId });
    });

    app.get('/v1/spark-jobs', {
      config,
      schema: {
        summary: 'Spark jobs, newest first',
        querystring: Type.Object({ user: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ jobs: Type.Array(Summary) }) },
      },
    }, async (request) => ({ jobs: await jobs.list({ user: request.query.user }) }));
  };
}
