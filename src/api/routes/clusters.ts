import { Type } from '@sinclair/typebox';
import { ClusterRequest, clusterNamePattern } from '../../client/cluster-request.js';
import { ClustersClient } from '../../client/clusters.js';
import { createCluster } from '../../client/create-cluster.js';
import { clusterPhases, type ClusterPhase } from '../../domain/cluster.js';
import type { ClusterPresets } from '../../domain/cluster-presets.js';
import type { Api, ApiDeps } from '../api-types.js';
import { errorResponse } from '../errors.js';
import { logWorkflow } from '../request-log.js';

const ClusterParams = Type.Object({ name: Type.String({ pattern: clusterNamePattern }) });
const Status = Type.Object({
  name: Type.String(),
  provider: Type.String(),
  phase: Type.Unsafe<ClusterPhase>({ type: 'string', enum: [...clusterPhases], description: 'PROVISIONING → RUNNING → DELETING → DELETED | FAILED' }),
  endpoint: Type.Optional(Type.String()),
  createdAt: Type.String(),
  progress: Type.Optional(Type.Object({ status: Type.String(), percent: Type.Optional(Type.Number()), at: Type.String(), elapsedSeconds: Type.Number() })),
  idleTtlSeconds: Type.Optional(Type.Integer()),
  inUseBy: Type.Optional(Type.Integer({ description: 'Jobs and kernels using the cluster now' })),
  lastUsedAt: Type.Optional(Type.String({ description: 'When the last job or kernel started or ended on it (or it became RUNNING)' })),
  error: Type.Optional(Type.String()),
}, { description: "The cluster's phase, endpoint and progress" });

export function clusterRoutes(deps: Pick<ApiDeps, 'temporal' | 'taskQueue'> & { clusterPresets: ClusterPresets }) {
  const clusters = new ClustersClient(deps.temporal.client, deps.taskQueue);
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
      const started = await createCluster({ temporal: deps.temporal.client, taskQueue: deps.taskQueue, presets: deps.clusterPresets }, request.body, request.principal?.name ?? 'unknown');
      logWorkflow(request, reply, 'cluster', started.workflowId);
      return reply.status(202).send({ name: started.name, workflowId: started.workflowId });
    });

    app.get('/v1/clusters/:name', { config, schema: { operationId: 'getCluster', tags, summary: 'Phase, endpoint and progress of a cluster', params: ClusterParams, response: { 200: Status } } },
      (request) => clusters.status(request.params.name));

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
      schema: { operationId: 'listClusters', tags, summary: 'Clusters, newest first', response: { 200: Type.Object({ clusters: Type.Array(Status) }, { description: 'At most 100 clusters, newest first' }) } },
    },
      async () => ({ clusters: await clusters.list() }));
  };
}
