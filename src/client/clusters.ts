import type { Client } from '@temporalio/client';
import { builtInCluster, type ClusterInput, type ClusterStatus } from '../domain/cluster.js';
import { clusterWorkflowId, computeIdOf } from '../domain/workflow-ids.js';
import { DomainError, validationError } from '../domain/errors.js';
import { clusterStatusQuery, destroyClusterSignal } from '../workflows/cluster.js';
import type { StopRequest } from '../workflows/ending.js';
import { buildListQuery } from './visibility-query.js';
import { signalRunning } from './workflow-errors.js';
import { startOnce } from './workflow-start.js';
import { readWorkflowStatus, type ReadOptions } from './workflow-status.js';

export class ClustersClient {
  constructor(private readonly client: Client, private readonly taskQueue: string) {}

  /** Starts the cluster's workflow; the same name while it lives is the same cluster. */
  async create(input: ClusterInput, by: string): Promise<{ name: string; workflowId: string; existing: boolean }> {
    const workflowId = clusterWorkflowId(input.name);
    const { existing } = await startOnce(this.client, {
      workflowType: 'cluster', workflowId, taskQueue: this.taskQueue, args: [input], reuseAfterEnd: true,
      attributes: { user: by, kind: 'cluster', namespace: '', cluster: input.name },
    });
    return { name: input.name, workflowId, existing };
  }

  status(name: string, options?: ReadOptions): Promise<ClusterStatus> {
    return readWorkflowStatus(this.client, clusterWorkflowId(name), `cluster '${name}'`, clusterStatusQuery, options);
  }

  /** Jobs and kernels run on the built-in cluster or on a RUNNING one; anything else is a 400 naming `field`. */
  async requireRunning(name: string, field: string): Promise<void> {
    if (name === builtInCluster) return;
    const status = await this.status(name).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'NOT_FOUND') throw validationError(field, `no cluster '${name}'`);
      throw error;
    });
    if (status.phase !== 'RUNNING') throw validationError(field, `cluster '${name}' is ${status.phase}, not RUNNING`);
  }

  destroy(name: string, request: StopRequest): Promise<void> {
    return signalRunning(this.client, clusterWorkflowId(name), `cluster '${name}'`, destroyClusterSignal, request);
  }

  async list(limit = 100): Promise<ClusterStatus[]> {
    const clusters: ClusterStatus[] = [];
    for await (const execution of this.client.workflow.list({ query: buildListQuery({ kind: 'cluster' }) })) {
      const name = computeIdOf('cluster', execution.workflowId);
      const status = name === undefined ? undefined : await this.status(name, { patienceMs: 0 }).catch(() => undefined);
      if (status && !clusters.some((known) => known.name === status.name)) clusters.push(status);
      if (clusters.length >= limit) break;
    }
    return clusters;
  }
}
