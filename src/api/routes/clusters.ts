import { Type } from '@sinclair/typebox';
import { ClusterRequest, clusterNamePattern } from '../../client/cluster-request.js';
import { ClustersClient } from '../../client/clusters.js';
import { createCluster } from '../../client/create-cluster.js';
import { clusterPhases, maxNodesPerPool, type ClusterPhase } from '../../domain/cluster.js';
import type { Api, ApiDeps } from '../api-types.js';
import { errorResponse } from '../errors.js';
import { logWorkflow } from '../request-log.js';

const ClusterParams = Type.Object({ name: Type.String({ pattern: clusterNamePattern }) });
// GKE's rule for node pool names.
const poolName = { pattern: '^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$' };
const NodePool = Type.Object({
  name: Type.String(),
  machineType: Type.String(),
  nodeCount: Type.Integer({ description: 'Nodes per zone of the cluster\'s location, as GKE counts them' }),
  maxNodes: Type.Integer({ description: 'The most it may be resized to: its autoscaler\'s maximum, or GKE\'s limit' }),
  autoscaling: Type.Optional(Type.Object({ minNodes: Type.Integer(), maxNodes: Type.Integer() })),
  state: Type.Union([Type.Literal('RUNNING'), Type.Literal('RESIZING'), Type.Literal('ADDING'), Type.Literal('ERROR')]),
});
const NodePoolOperation = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('resize'), Type.Literal('add')]),
  pool: Type.String(),
  nodeCount: Type.Optional(Type.Integer()),
  preset: Type.Optional(Type.String()),
  state: Type.Union([Type.Literal('PENDING'), Type.Literal('RUNNING'), Type.Literal('DONE'), Type.Literal('FAILED')]),
  error: Type.Optional(Type.String()),
  requestedAt: Type.String(),
  requestedBy: Type.Optional(Type.String()),
  endedAt: Type.Optional(Type.String()),
}, { description: 'A node pool operation; follow it in the cluster\'s nodePoolOperations until DONE or FAILED' });
const Accepted = Type.Object({ name: Type.String(), pool: Type.String(), operationId: Type.String() }, { description: 'The operation is queued on the cluster\'s workflow' });
const Kubeconfig = Type.Object({
  apiVersion: Type.Literal('v1'),
  kind: Type.Literal('Config'),
  clusters: Type.Array(Type.Object({ name: Type.String(), cluster: Type.Object({ server: Type.String(), 'certificate-authority-data': Type.Optional(Type.String()) }) })),
  contexts: Type.Array(Type.Object({ name: Type.String(), context: Type.Object({ cluster: Type.String(), user: Type.String(), namespace: Type.Optional(Type.String()) }) })),
  users: Type.Array(Type.Object({ name: Type.String(), user: Type.Record(Type.String(), Type.Unknown()) })),
  'current-context': Type.String(),
  preferences: Type.Object({}),
}, { description: 'A kubeconfig (JSON, which kubectl reads as YAML) with no secret in it: a GKE cluster\'s user runs gke-gcloud-auth-plugin' });
const Status = Type.Object({
  name: Type.String(),
  provider: Type.String(),
  phase: Type.Unsafe<ClusterPhase>({ type: 'string', enum: [...clusterPhases], description: 'PROVISIONING → RUNNING → DELETING → DELETED | FAILED' }),
  endpoint: Type.Optional(Type.String()),
  createdAt: Type.Optional(Type.String({ description: 'Absent for clusters no workflow made: local, unattached static presets' })),
  attached: Type.Optional(Type.Boolean({ description: 'Static clusters: whether a cluster workflow holds it now (a job attaches an unattached preset)' })),
  progress: Type.Optional(Type.Object({ status: Type.String(), percent: Type.Optional(Type.Number()), at: Type.String(), elapsedSeconds: Type.Number() })),
  idleTtlSeconds: Type.Optional(Type.Integer()),
  inUseBy: Type.Optional(Type.Integer({ description: 'Jobs and kernels using the cluster now' })),
  lastUsedAt: Type.Optional(Type.String({ description: 'When the last job or kernel started or ended on it (or it became RUNNING)' })),
  nodePools: Type.Optional(Type.Array(NodePool, { description: 'GKE clusters once RUNNING' })),
  nodePoolOperations: Type.Optional(Type.Array(NodePoolOperation, { description: 'The latest node pool operations, oldest first' })),
  error: Type.Optional(Type.String()),
}, { description: "The cluster's phase, endpoint and progress" });

export function clusterRoutes(deps: Pick<ApiDeps, 'temporal' | 'taskQueue' | 'knownClusters'>) {
  const clusters = new ClustersClient(deps.temporal.client, deps.taskQueue, deps.knownClusters);
  return async function register(app: Api): Promise<void> {
    const config = { scope: 'clusters' as const, computeKind: 'cluster' as const };
    const tags = ['clusters'];

    app.post('/v1/clusters', {
      config,
      schema: {
        operationId: 'createCluster', tags, summary: 'Create a GKE cluster, or attach a static one (idempotent on name)', body: ClusterRequest,
        response: { 202: Type.Object({ name: Type.String(), workflowId: Type.String() }, { description: 'The cluster is being created or attached, or already exists under this name' }) },
      },
    }, async (request, reply) => {
      const started = await createCluster({ temporal: deps.temporal.client, taskQueue: deps.taskQueue, presets: deps.knownClusters.presets }, request.body, request.principal?.name ?? 'unknown');
      logWorkflow(request, reply, 'cluster', started.workflowId);
      return reply.status(202).send({ name: started.name, workflowId: started.workflowId });
    });

    app.get('/v1/clusters/:name', { config, schema: { operationId: 'getCluster', tags, summary: 'Phase, endpoint, progress and node pools of a cluster', params: ClusterParams, response: { 200: Status } } },
      (request) => clusters.status(request.params.name));

    app.get('/v1/clusters/:name/kubeconfig', {
      config,
      schema: {
        operationId: 'getClusterKubeconfig', tags, summary: 'A kubeconfig for a RUNNING cluster: endpoint, CA and an authentication section holding no secret', params: ClusterParams,
        response: { 200: Kubeconfig, 409: errorResponse('The cluster is not RUNNING (CONFLICT)') },
      },
    }, (request) => clusters.kubeconfig(request.params.name));

    app.post('/v1/clusters/:name/node-pools/:pool/size', {
      config,
      schema: {
        operationId: 'resizeNodePool', tags, summary: 'Resize a node pool of a GKE cluster (nodes per zone): a durable operation of the cluster\'s workflow',
        params: Type.Object({ name: Type.String({ pattern: clusterNamePattern }), pool: Type.String(poolName) }),
        body: Type.Object({ nodeCount: Type.Integer({ minimum: 0, maximum: maxNodesPerPool, description: 'Nodes per zone; at most the pool\'s maxNodes' }) }, { additionalProperties: false }),
        response: { 202: Accepted, 409: errorResponse('The cluster is static, or not RUNNING (CONFLICT)') },
      },
    }, async (request, reply) => {
      const operation = await clusters.resizeNodePool(request.params.name, { pool: request.params.pool, nodeCount: request.body.nodeCount, by: request.principal?.name });
      return reply.status(202).send({ name: request.params.name, pool: operation.pool, operationId: operation.id });
    });

    app.post('/v1/clusters/:name/node-pools', {
      config,
      schema: {
        operationId: 'addNodePool', tags, summary: 'Add a node pool, from a node pool preset, to a GKE cluster: a durable operation of the cluster\'s workflow', params: ClusterParams,
        body: Type.Object({
          name: Type.String({ ...poolName, description: 'The new pool\'s name' }),
          preset: Type.String({ minLength: 1, maxLength: 63, description: 'A node pool preset' }),
        }, { additionalProperties: false }),
        response: { 202: Accepted, 409: errorResponse('The pool exists, or the cluster is static or not RUNNING (CONFLICT)') },
      },
    }, async (request, reply) => {
      const operation = await clusters.addNodePool(request.params.name, { pool: request.body.name, preset: request.body.preset, by: request.principal?.name });
      return reply.status(202).send({ name: request.params.name, pool: operation.pool, operationId: operation.id });
    });

    app.delete('/v1/clusters/:name', {
      config,
      schema: {
        operationId: 'deleteCluster', tags, summary: 'Destroy a cluster (GKE: delete it; static: detach it)', params: ClusterParams,
        response: { 202: Type.Object({ name: Type.String() }, { description: 'Destruction requested' }), 409: errorResponse('The cluster has already ended (CONFLICT)') },
      },
    }, async (request, reply) => {
      await clusters.destroy(request.params.name, { by: request.principal?.name });
      return reply.status(202).send({ name: request.params.name });
    });

    app.get('/v1/clusters', {
      config,
      schema: { operationId: 'listClusters', tags, summary: 'Every cluster a job may use: cluster workflows newest first, then local and the unattached static presets', response: { 200: Type.Object({ clusters: Type.Array(Status) }, { description: 'At most 100 clusters' }) } },
    },
      async () => ({ clusters: await clusters.list() }));
  };
}
