import { Type, type Static } from '@sinclair/typebox';
import { randomUUID } from 'node:crypto';
import { anyKeys, checkAgainst, dssUser, keysMatching } from './schema-check.js';
import { defaultNamespaceTemplate, resolveNamespace } from '../domain/namespace-template.js';
import { validationError } from '../domain/errors.js';
import { leaseSecondsRange, sparkDeployModes, type SparkJobInput, type SparkLeaseInput } from '../domain/spark-job.js';
import { checkImageReference } from '../domain/image-reference.js';
import { checkUserConf } from '../domain/spark-submit.js';
import { checkClientId } from '../domain/workflow-ids.js';

const Memory = Type.String({ pattern: '^[0-9]+[kmgtKMGT]?$', maxLength: 16, description: 'JVM size, e.g. 512m or 4g' });
const Resources = { cores: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })), memory: Type.Optional(Memory) };

/** POST /v1/spark-jobs. Every string and collection is bounded; unknown fields are refused. */
export const SparkJobRequest = Type.Object({
  jobId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$', description: 'Idempotency key: the same id again is the same job' })),
  user: dssUser('DSS login (dssUserLogin), without control characters'),
  cluster: Type.Optional(Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', default: 'local' })),
  namespace: Type.Optional(Type.Object({
    template: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: `Default ${defaultNamespaceTemplate}` })),
    autoCreate: Type.Optional(Type.Boolean({ description: 'Default: true for the per-user default template, false otherwise' })),
  }, { additionalProperties: false })),
  adminProperties: Type.Optional(anyKeys(Type.String({ maxLength: 256 }), { maxKeyLength: 128, maxProperties: 64, description: 'Keys: at most 128 characters' })),
  deployMode: Type.Optional(Type.Union(sparkDeployModes.map((mode) => Type.Literal(mode)), {
    description: 'cluster (default): the orchestrator runs spark-submit and the driver is a pod. client: the caller runs the driver on its own host, '
      + 'with a kubeconfig of the job\'s temporary account (POST …/kubeconfig), and keeps the lease alive (POST …/lease) until it ends the job (POST …/end)',
  })),
  leaseSeconds: Type.Optional(Type.Integer({
    minimum: leaseSecondsRange.min, maximum: leaseSecondsRange.max,
    description: `Client mode: the identity is removed when the lease is not renewed for this long (default ${leaseSecondsRange.default})`,
  })),
  app: Type.Optional(Type.Object({
    image: Type.String({ minLength: 1, maxLength: 512 }),
    mainApplicationFile: Type.String({ pattern: '^(local|https?|s3a|gs|hdfs|abfss?|wasbs?)://.+', maxLength: 2048, description: 'Remote or local:// (in the image); client files are not uploaded' }),
    mainClass: Type.Optional(Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*$', maxLength: 512 })),
    args: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 256 })),
    // spark. and up to 250 more: keys of at most 256 characters.
    conf: Type.Optional(keysMatching('spark\\.[A-Za-z0-9._/-]{1,250}', Type.String({ maxLength: 4096 }), {
      maxProperties: 256, description: 'Spark properties: keys spark.* of at most 256 characters, letters, digits and ._/- only',
    })),
    driver: Type.Optional(Type.Object(Resources, { additionalProperties: false })),
    executor: Type.Optional(Type.Object({ ...Resources, instances: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })) }, { additionalProperties: false })),
  }, { additionalProperties: false, description: 'Cluster mode: required. Client mode: absent (the caller runs spark-submit itself)' })),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 24 * 3600 })),
}, { additionalProperties: false });
export type SparkJobRequest = Static<typeof SparkJobRequest>;

/** Where a job runs and for whom, the same in both deploy modes: namespace resolved, a new job id when the request has none. */
function placementOf(request: SparkJobRequest, context: { orchestratorNamespace: string }) {
  if (request.jobId !== undefined) checkClientId('jobId', request.jobId);
  const template = request.namespace?.template ?? defaultNamespaceTemplate;
  const namespace = resolveNamespace(template, {
    dssUserLogin: request.user,
    adminProperties: request.adminProperties ?? {},
    orchestratorNamespace: context.orchestratorNamespace,
  });
  return {
    jobId: request.jobId ?? randomUUID(),
    user: request.user,
    cluster: request.cluster ?? 'local',
    namespace,
    autoCreateNamespace: request.namespace?.autoCreate ?? request.namespace?.template === undefined,
    ...(request.timeoutSeconds !== undefined ? { timeoutSeconds: request.timeoutSeconds } : {}),
  };
}

/** A cluster-mode job's workflow input from a schema-valid request: its app checked (400 naming the field). */
export function toSparkJobInput(request: SparkJobRequest, context: { orchestratorNamespace: string }): SparkJobInput {
  if (request.leaseSeconds !== undefined) throw validationError('leaseSeconds', 'leaseSeconds is for deployMode client only: a cluster-mode job needs no lease');
  if (!request.app) throw validationError('app', 'app is required');
  checkImageReference('app.image', request.app.image);
  checkUserConf(request.app.conf ?? {});
  return { ...placementOf(request, context), app: request.app };
}

/** A client-mode job's workflow input: no app (the caller runs spark-submit), a lease. */
export function toSparkLeaseInput(request: SparkJobRequest, context: { orchestratorNamespace: string }): SparkLeaseInput {
  if (request.app) throw validationError('app', 'app must be absent with deployMode client: the caller runs spark-submit itself');
  return { ...placementOf(request, context), leaseSeconds: request.leaseSeconds ?? leaseSecondsRange.default };
}

/** Schema check outside the API (the CLI), naming the field as the API does. */
export function checkSparkJobRequest(candidate: unknown): SparkJobRequest {
  return checkAgainst(SparkJobRequest, candidate);
}
