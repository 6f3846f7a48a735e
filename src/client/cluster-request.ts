import { Type, type Static } from '@sinclair/typebox';
import { builtInCluster, type ClusterInput } from '../domain/cluster.js';
import type { ClusterPresets, NodePoolPreset } from '../domain/cluster-presets.js';
import { validationError } from '../domain/errors.js';
import { checkAgainst } from './schema-check.js';

/** GKE's rule for cluster names, which also makes a valid workflow id and Kubernetes label. */
export const clusterNamePattern = '^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$';

/** POST /v1/clusters. */
export const ClusterRequest = Type.Object({
  name: Type.String({ pattern: clusterNamePattern, description: 'The cluster: the same name while it lives is the same cluster' }),
  provider: Type.Union([Type.Literal('gke'), Type.Literal('static')], { description: 'gke: create it; static: attach the preset of that name' }),
  gke: Type.Optional(Type.Object({
    connection: Type.String({ minLength: 1, maxLength: 63, description: 'A GKE connection preset' }),
    nodePools: Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { minItems: 1, maxItems: 16, uniqueItems: true, description: 'Node pool presets' }),
  }, { additionalProperties: false })),
  idleTtlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 90 * 24 * 3600, description: 'Destroy the cluster once no job or kernel has used it for this long' })),
}, { additionalProperties: false });
export type ClusterRequest = Static<typeof ClusterRequest>;

/** The workflow's input: presets resolved and checked (400 naming the field). */
export function toClusterInput(request: ClusterRequest, presets: ClusterPresets): ClusterInput {
  if (request.name === builtInCluster) throw validationError('name', `'${builtInCluster}' is the built-in cluster: it cannot be created or attached`);
  if (request.provider === 'static') {
    if (request.gke) throw validationError('gke', 'a static cluster takes no gke settings');
    if (!presets.staticClusters[request.name]) {
      throw validationError('name', `no static cluster preset '${request.name}'; known: ${Object.keys(presets.staticClusters).join(', ') || 'none'}`);
    }
    return { name: request.name, provider: 'static', ...idleTtl(request) };
  }
  if (!request.gke) throw validationError('gke', 'a gke cluster needs gke.connection and gke.nodePools');
  const { connection } = request.gke;
  if (!presets.gkeConnections[connection]) {
    throw validationError('gke.connection', `no GKE connection preset '${connection}'; known: ${Object.keys(presets.gkeConnections).join(', ') || 'none'}`);
  }
  const nodePools: Record<string, NodePoolPreset> = {};
  request.gke.nodePools.forEach((pool, index) => {
    const preset = presets.nodePools[pool];
    if (!preset) throw validationError(`gke.nodePools[${index}]`, `no node pool preset '${pool}'; known: ${Object.keys(presets.nodePools).join(', ') || 'none'}`);
    nodePools[pool] = preset;
  });
  return { name: request.name, provider: 'gke', gke: { connection, nodePools }, ...idleTtl(request) };
}

const idleTtl = ({ idleTtlSeconds }: ClusterRequest): Pick<ClusterInput, 'idleTtlSeconds'> => (idleTtlSeconds ? { idleTtlSeconds } : {});

/** Schema check outside the API (the CLI), naming the field as the API does. */
export function checkClusterRequest(candidate: unknown): ClusterRequest {
  return checkAgainst(ClusterRequest, candidate);
}
