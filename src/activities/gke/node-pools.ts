import type { protos } from '@google-cloud/container';
import { status as grpcStatus } from '@grpc/grpc-js';
import { initialNodeCount } from '../../domain/cluster.js';
import { gkeClusterPath, gkeOperationPath, gkeParent, type NodePoolPreset } from '../../domain/cluster-presets.js';
import type { GkeClients } from './client.js';
import type { GkeClusterTarget } from './clusters.js';
import { gke, gkeFailure, grpcCode } from './errors.js';

type NodePool = protos.google.container.v1.INodePool;
type NodePoolOperationType = 'SET_NODE_POOL_SIZE' | 'CREATE_NODE_POOL';

export interface GkeNodePoolTarget extends GkeClusterTarget {
  pool: string;
}

/** A node pool as GKE takes it, from its preset. */
export function nodePoolOf(name: string, preset: NodePoolPreset): NodePool {
  const { machineType, autoscaling, diskSizeGb } = preset;
  return {
    name,
    config: { machineType, ...(diskSizeGb !== undefined && { diskSizeGb }) },
    initialNodeCount: initialNodeCount(preset),
    ...(autoscaling && { autoscaling: { enabled: true, minNodeCount: autoscaling.minNodes, maxNodeCount: autoscaling.maxNodes } }),
  };
}

/**
 * Node pool operations, each started once: a retried start (after a worker crash, or an
 * UNAVAILABLE that did reach GKE) finds the operation its first attempt began on that pool and
 * follows it rather than starting another. The workflow then follows the operation with
 * waitForGkeOperation, as it does a create.
 */
export function gkeNodePoolActivities(clients: GkeClients) {
  const located = (connection: string) => ({ target: clients.connection(connection), client: clients.client(connection) });

  /** The operation of `type` still running on the pool, as its full path. */
  async function runningOn({ connection, clusterName, pool }: GkeNodePoolTarget, type: NodePoolOperationType): Promise<string | undefined> {
    const { target, client } = located(connection);
    const poolPath = `${gkeClusterPath(target, clusterName)}/nodePools/${pool}`;
    const [listed] = await gke(`list GKE operations in ${gkeParent(target)}`, () => client.listOperations({ parent: gkeParent(target) }));
    const running = (listed.operations ?? []).find((operation) => operation.operationType === type && operation.status !== 'DONE'
      && (operation.targetLink ?? '').endsWith(`/${poolPath}`));
    return running?.name ? gkeOperationPath(target, running.name) : undefined;
  }

  return {
    /** Starts setting the pool's size (per zone), or finds the resize already under way. */
    async resizeGkeNodePool(request: GkeNodePoolTarget & { nodeCount: number }): Promise<{ operation?: string }> {
      const existing = await runningOn(request, 'SET_NODE_POOL_SIZE');
      if (existing) return { operation: existing };
      const { target, client } = located(request.connection);
      const path = `${gkeClusterPath(target, request.clusterName)}/nodePools/${request.pool}`;
      const [operation] = await gke(`resize GKE node pool ${path} to ${request.nodeCount}`, () => client.setNodePoolSize({ name: path, nodeCount: request.nodeCount }));
      return operation.name ? { operation: gkeOperationPath(target, operation.name) } : {};
    },

    /** Starts adding the pool; one that exists already (this workflow's earlier attempt) is followed or done. */
    async addGkeNodePool(request: GkeNodePoolTarget & { preset: NodePoolPreset }): Promise<{ operation?: string }> {
      const existing = await runningOn(request, 'CREATE_NODE_POOL');
      if (existing) return { operation: existing };
      const { target, client } = located(request.connection);
      const parent = gkeClusterPath(target, request.clusterName);
      try {
        const [operation] = await client.createNodePool({ parent, nodePool: nodePoolOf(request.pool, request.preset) });
        return operation.name ? { operation: gkeOperationPath(target, operation.name) } : {};
      } catch (error) {
        // The workflow checked that the pool was not there before asking: it is this request's, made by an attempt that was lost.
        if (grpcCode(error) === grpcStatus.ALREADY_EXISTS) return {};
        throw gkeFailure(error, `add node pool ${request.pool} to GKE cluster ${parent}`);
      }
    },
  };
}

export type GkeNodePoolActivities = ReturnType<typeof gkeNodePoolActivities>;
