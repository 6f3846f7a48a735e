import type { protos } from '@google-cloud/container';
import { status as grpcStatus } from '@grpc/grpc-js';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { gkeProgressSignalName, type ClusterOperationProgress } from '../../domain/cluster.js';
import { pause } from '../activity-waits.js';
import {
  gkeClusterPath, gkeOperationPath, gkeParent, isOwnedBy, ownerResourceLabels, type NodePoolPreset,
} from '../../domain/cluster-presets.js';
import type { GkeClients } from './client.js';
import { gke, gkeFailure, grpcCode } from './errors.js';
import { nodePoolOf } from './node-pools.js';

type Operation = protos.google.container.v1.IOperation;
type Cluster = protos.google.container.v1.ICluster;

/** GKE's operations take minutes: a poll every 2 s notices the end ~1 s late on average (BENCHMARKS.md). */
export const defaultGkePollMs = 2000;

export interface GkeClusterTarget {
  /** A GKE connection preset. */
  connection: string;
  clusterName: string;
}

export interface GkeOperationTarget {
  connection: string;
  /** projects/P/locations/L/operations/ID, as createGkeCluster and deleteGkeCluster return it. */
  operation: string;
}

/** A wait gives up at `deadline` (epoch ms, fixed by the workflow so that a retried attempt keeps it). */
export interface GkeWait {
  deadline?: number;
}

/**
 * How far an operation is, 0 to 100. GKE reports steps as pairs of metrics (`CLUSTER_DEPLOYING`
 * and `CLUSTER_DEPLOYING_TOTAL`, ...): their sums give the share done. Without pairs, the first
 * integer metric counts if it reads as a percentage (the simulator's `percent done`).
 */
export function operationPercent(progress: Operation['progress']): number | undefined {
  const values = new Map<string, number>();
  for (const metric of progress?.metrics ?? []) {
    if (metric.name && metric.intValue !== null && metric.intValue !== undefined) values.set(metric.name, Number(metric.intValue));
  }
  let done = 0;
  let total = 0;
  for (const [name, value] of values) {
    const progressed = name.endsWith('_TOTAL') ? values.get(name.slice(0, -'_TOTAL'.length)) : undefined;
    if (progressed === undefined) continue;
    done += progressed;
    total += value;
  }
  if (total > 0) return Math.min(100, Math.floor((done * 100) / total));
  const first = values.values().next();
  return !first.done && Number.isInteger(first.value) && first.value >= 0 && first.value <= 100 ? first.value : undefined;
}

/** DONE is not success: a failed operation is DONE too, with `error` set. */
function operationError(operation: Operation): { code: string; message: string } | undefined {
  const { error, statusMessage } = operation;
  if (!error?.code && !error?.message) return undefined;
  return { code: grpcStatus[error.code ?? grpcStatus.UNKNOWN] ?? String(error.code), message: error.message || statusMessage || 'no reason given' };
}

function clusterFailure(cluster: Cluster): string {
  const conditions = (cluster.conditions ?? []).map((condition) => condition.message).filter(Boolean);
  return cluster.statusMessage || conditions.join('; ') || 'no reason given';
}

function pastDeadline(deadline: number | undefined, what: string, last: string): void {
  if (deadline !== undefined && Date.now() >= deadline) {
    throw ApplicationFailure.nonRetryable(`${what}: still ${last} at the deadline`, 'GkeTimeout');
  }
}

/**
 * GKE cluster activities on the real ClusterManager API. Each one can run twice: a create that
 * meets its own cluster adopts it, deletes and cancels treat "already gone" as done.
 */
export function gkeClusterActivities(clients: GkeClients, temporal: Client, pollMs = defaultGkePollMs) {
  const located = (connection: string) => ({ target: clients.connection(connection), client: clients.client(connection) });

  return {
    /**
     * Starts creating the cluster, labelled as `workflowId`'s. A cluster of that name that the
     * same workflow created before (a retry after a crash or an UNAVAILABLE that did reach GKE)
     * is adopted: the workflow then waits on the cluster itself. Anyone else's is refused.
     */
    async createGkeCluster({ connection, clusterName, nodePools, workflowId }: GkeClusterTarget & {
      nodePools: Record<string, NodePoolPreset>;
      workflowId: string;
    }): Promise<{ operation?: string; adopted: boolean }> {
      const { target, client } = located(connection);
      const path = gkeClusterPath(target, clusterName);
      try {
        const [operation] = await client.createCluster({
          parent: gkeParent(target),
          cluster: {
            name: clusterName,
            nodePools: Object.entries(nodePools).map(([name, preset]) => nodePoolOf(name, preset)),
            resourceLabels: ownerResourceLabels(workflowId),
          },
        });
        return operation.name ? { operation: gkeOperationPath(target, operation.name), adopted: false } : { adopted: false };
      } catch (error) {
        if (grpcCode(error) !== grpcStatus.ALREADY_EXISTS) throw gkeFailure(error, `create GKE cluster ${path}`);
      }
      let existing: Cluster;
      try {
        [existing] = await client.getCluster({ name: path });
      } catch (error) {
        if (grpcCode(error) !== grpcStatus.NOT_FOUND) throw gkeFailure(error, `read GKE cluster ${path}`);
        throw ApplicationFailure.retryable(`create GKE cluster ${path}: GKE said it exists, then that it does not; trying again`, 'GkeTransient');
      }
      if (isOwnedBy(existing.resourceLabels, workflowId)) return { adopted: true };
      throw ApplicationFailure.nonRetryable(
        `a GKE cluster named ${clusterName} already exists in ${gkeParent(target)} and was not created by this orchestrator for ${workflowId}: `
        + 'it is left untouched; choose another name', 'GkeClusterNotOurs');
    },

    /**
     * Follows an operation to DONE, heartbeating each poll and signalling the workflow whenever
     * its status or percentage moves (best effort: progress is for people, not for correctness).
     */
    async waitForGkeOperation({ connection, operation, deadline }: GkeOperationTarget & GkeWait): Promise<void> {
      const context = Context.current();
      const { client } = located(connection);
      const workflowId = context.info.workflowExecution?.workflowId;
      let reported: string | undefined;
      for (;;) {
        const [current] = await gke(`read GKE operation ${operation}`, () => client.getOperation({ name: operation }));
        const status = String(current.status ?? 'STATUS_UNSPECIFIED');
        const percent = operationPercent(current.progress);
        context.heartbeat({ status, percent });
        if (workflowId && reported !== `${status} ${percent}`) {
          reported = `${status} ${percent}`;
          const progress: ClusterOperationProgress = { status, ...(percent !== undefined && { percent }), at: new Date().toISOString() };
          await temporal.workflow.getHandle(workflowId).signal(gkeProgressSignalName, progress).catch((error: unknown) => {
            context.log.warn('could not signal GKE operation progress', { operation, error: String(error) });
          });
        }
        const what = `GKE operation ${operation} (${String(current.operationType ?? 'unknown type')})`;
        if (status === 'DONE') {
          const failure = operationError(current);
          if (failure) throw ApplicationFailure.nonRetryable(`${what}: ${failure.message}`, 'GkeOperationFailed', failure.code);
          return;
        }
        pastDeadline(deadline, what, status);
        await pause(context, pollMs);
      }
    },

    /** Follows an adopted cluster (one whose operation is not known) until it is RUNNING. */
    async waitForGkeCluster({ connection, clusterName, deadline }: GkeClusterTarget & GkeWait): Promise<void> {
      const context = Context.current();
      const { target, client } = located(connection);
      const path = gkeClusterPath(target, clusterName);
      for (;;) {
        const [cluster] = await gke(`read GKE cluster ${path}`, () => client.getCluster({ name: path }));
        const status = String(cluster.status ?? 'STATUS_UNSPECIFIED');
        context.heartbeat({ status });
        if (status === 'RUNNING') return;
        if (status === 'ERROR' || status === 'DEGRADED') {
          throw ApplicationFailure.nonRetryable(`GKE cluster ${path} is ${status}: ${clusterFailure(cluster)}`, 'GkeClusterFailed');
        }
        if (status === 'STOPPING') throw ApplicationFailure.nonRetryable(`GKE cluster ${path} is being deleted`, 'GkeClusterFailed');
        pastDeadline(deadline, `GKE cluster ${path}`, status);
        await pause(context, pollMs);
      }
    },

    /** Where to reach the cluster's Kubernetes API: public facts only, no credentials. */
    async describeGkeCluster({ connection, clusterName }: GkeClusterTarget): Promise<{ status: string; endpoint: string; caCertificatePem: string } | undefined> {
      const { target, client } = located(connection);
      const path = gkeClusterPath(target, clusterName);
      let cluster: Cluster;
      try {
        [cluster] = await client.getCluster({ name: path });
      } catch (error) {
        if (grpcCode(error) === grpcStatus.NOT_FOUND) return undefined;
        throw gkeFailure(error, `read GKE cluster ${path}`);
      }
      return {
        status: String(cluster.status ?? 'STATUS_UNSPECIFIED'),
        endpoint: cluster.endpoint ?? '',
        caCertificatePem: Buffer.from(cluster.masterAuth?.clusterCaCertificate ?? '', 'base64').toString('utf8'),
      };
    },

    /**
     * Starts deleting the cluster; already gone is done. While another operation runs on it GKE
     * refuses, and the retryable GkeClusterBusy lets Temporal try again until that one has ended.
     * With `workflowId`, a cluster not labelled as that workflow's is refused (GkeClusterNotOurs).
     */
    async deleteGkeCluster({ connection, clusterName, workflowId }: GkeClusterTarget & { workflowId?: string }): Promise<{ operation?: string }> {
      const { target, client } = located(connection);
      const path = gkeClusterPath(target, clusterName);
      try {
        const owned = workflowId === undefined || isOwnedBy((await client.getCluster({ name: path }))[0].resourceLabels, workflowId);
        if (owned) {
          const [operation] = await client.deleteCluster({ name: path });
          return operation.name ? { operation: gkeOperationPath(target, operation.name) } : {};
        }
      } catch (error) {
        if (grpcCode(error) === grpcStatus.NOT_FOUND) return {};
        throw gkeFailure(error, `delete GKE cluster ${path}`);
      }
      throw ApplicationFailure.nonRetryable(`GKE cluster ${path} was not created by this orchestrator for ${workflowId}: it is not deleted`, 'GkeClusterNotOurs');
    },

    /** Best effort: an operation that has already ended, or is unknown, needs no cancelling. */
    async cancelGkeOperation({ connection, operation }: GkeOperationTarget): Promise<void> {
      const { client } = located(connection);
      try {
        await client.cancelOperation({ name: operation });
      } catch (error) {
        const code = grpcCode(error);
        if (code === grpcStatus.FAILED_PRECONDITION || code === grpcStatus.NOT_FOUND) return;
        throw gkeFailure(error, `cancel GKE operation ${operation}`);
      }
    },
  };
}

export type GkeActivities = ReturnType<typeof gkeClusterActivities>;
