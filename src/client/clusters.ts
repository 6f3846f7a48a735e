import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { builtInCluster, clusterStatusAtStart, type ClusterInput, type NodePoolOperation } from '../domain/cluster.js';
import { clusterWorkflowId, computeIdOf } from '../domain/workflow-ids.js';
import { emptyClusterPresets } from '../domain/cluster-presets.js';
import { conflictError, DomainError, validationError } from '../domain/errors.js';
import { clusterStatusQuery, destroyClusterSignal } from '../workflows/cluster.js';
import { addNodePoolUpdate, resizeNodePoolUpdate } from '../workflows/node-pool-operations.js';
import type { StopRequest } from '../workflows/ending.js';
import type { Kubeconfig } from '../domain/kubeconfig.js';
import { clusterKubeconfig, knownClusterNames, knownClusterView, type ClusterView, type KnownClusters } from './known-clusters.js';
import { buildListQuery } from '../domain/visibility-query.js';
import { forWorkflow, signalRunning } from './workflow-errors.js';
import { startOnce } from './workflow-start.js';
import { readWorkflowStatus, type ReadOptions } from './workflow-status.js';

/** How long a job's start waits for the static cluster it attaches: attaching installs two ClusterRoles. */
const attachPatienceMs = 60_000;

const ended = (phase: string): boolean => phase === 'DELETED' || phase === 'FAILED';

export class ClustersClient {
  /** `known`: the clusters that need no workflow (`local`, static presets); without it, only workflows' clusters are seen. */
  constructor(private readonly client: Client, private readonly taskQueue: string, private readonly known: KnownClusters = { presets: emptyClusterPresets }) {}

  /** Starts the cluster's workflow; the same name while it lives is the same cluster. */
  async create(input: ClusterInput, by: string): Promise<{ name: string; workflowId: string; existing: boolean }> {
    const workflowId = clusterWorkflowId(input.name);
    const { existing } = await startOnce(this.client, {
      workflowType: 'cluster', workflowId, taskQueue: this.taskQueue, args: [input], reuseAfterEnd: true,
      attributes: { user: by, kind: 'cluster', namespace: '', cluster: input.name },
    });
    return { name: input.name, workflowId, existing };
  }

  /**
   * A cluster workflow's status, or for a name with none `local` and static presets as RUNNING:
   * every cluster a job may use. A static cluster's workflow says whether it is attached now.
   */
  async status(name: string, options?: ReadOptions): Promise<ClusterView> {
    const known = name === builtInCluster ? knownClusterView(name, this.known) : undefined;
    if (known) return known;
    try {
      const status: ClusterView = await readWorkflowStatus(this.client, clusterWorkflowId(name), `cluster '${name}'`, clusterStatusQuery, (_type, input, startedAt) => clusterStatusAtStart(input as ClusterInput, startedAt), options);
      return status.provider === 'static' ? { ...status, attached: !ended(status.phase) } : status;
    } catch (error) {
      const preset = error instanceof DomainError && error.code === 'NOT_FOUND' ? knownClusterView(name, this.known) : undefined;
      if (preset) return preset;
      throw error;
    }
  }

  /** A kubeconfig for a RUNNING cluster, holding no secret (see clusterKubeconfig). */
  async kubeconfig(name: string): Promise<Kubeconfig> {
    return clusterKubeconfig(await this.status(name), this.known);
  }

  /**
   * Jobs and kernels run on the built-in cluster or on a RUNNING one; anything else is a 400
   * naming `field`. A static preset not attached now is attached first (by `by`), as an
   * operator's `cluster create --provider static` would.
   */
  async requireRunning(name: string, field: string, by = 'a job'): Promise<void> {
    if (name === builtInCluster) return;
    let status = await this.status(name).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'NOT_FOUND') throw validationError(field, `no cluster '${name}'`);
      throw error;
    });
    if (status.attached === false && this.known.presets.staticClusters[name]) {
      await this.create({ name, provider: 'static' }, by);
      const giveUpAt = Date.now() + attachPatienceMs;
      while ((status = await this.status(name)).phase === 'PROVISIONING' && Date.now() < giveUpAt) await sleep(250);
    }
    if (status.phase !== 'RUNNING') throw validationError(field, `cluster '${name}' is ${status.phase}, not RUNNING`);
  }

  /** Resizes a GKE cluster's pool (nodes per zone); answered once the workflow has queued it. */
  resizeNodePool(name: string, request: { pool: string; nodeCount: number; by?: string }): Promise<NodePoolOperation> {
    return this.askForNodePools(name, resizeNodePoolUpdate, request);
  }

  /** Adds a pool from a node pool preset (400 naming `preset` when there is none of that name). */
  addNodePool(name: string, request: { pool: string; preset: string; by?: string }): Promise<NodePoolOperation> {
    const settings = this.known.presets.nodePools[request.preset];
    if (!settings) {
      throw validationError('preset', `no node pool preset '${request.preset}'; known: ${Object.keys(this.known.presets.nodePools).join(', ') || 'none'}`);
    }
    return this.askForNodePools(name, addNodePoolUpdate, { ...request, settings });
  }

  /** The workflow's refusals come back typed by their domain error code (and field): 400, 409. */
  private async askForNodePools<Args extends [unknown]>(name: string, update: UpdateDefinition<NodePoolOperation, Args>, ...args: Args): Promise<NodePoolOperation> {
    if (knownClusterView(name, this.known)) throw conflictError(`cluster '${name}' is static: its node pools are not the orchestrator's to change`);
    return await forWorkflow(`cluster '${name}'`, async () => {
      try {
        return await this.client.workflow.getHandle(clusterWorkflowId(name)).executeUpdate(update, { args });
      } catch (error) {
        const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
        if (cause instanceof ApplicationFailure && cause.type === 'VALIDATION') throw validationError(typeof cause.details?.[0] === 'string' ? cause.details[0] : '', cause.message);
        if (cause instanceof ApplicationFailure && cause.type === 'CONFLICT') throw conflictError(cause.message);
        throw error;
      }
    });
  }

  destroy(name: string, request: StopRequest): Promise<void> {
    return signalRunning(this.client, clusterWorkflowId(name), `cluster '${name}'`, destroyClusterSignal, request);
  }

  /** Clusters of workflows, newest first, then those that need none and have none now. */
  async list(limit = 100): Promise<ClusterView[]> {
    const clusters: ClusterView[] = [];
    for await (const execution of this.client.workflow.list({ query: buildListQuery({ kind: 'cluster' }) })) {
      const name = computeIdOf('cluster', execution.workflowId);
      const status = name === undefined ? undefined : await this.status(name, { patienceMs: 0 }).catch(() => undefined);
      if (status && !clusters.some((known) => known.name === status.name)) clusters.push(status);
      if (clusters.length >= limit) break;
    }
    for (const name of knownClusterNames(this.known)) {
      if (clusters.length < limit && !clusters.some((listed) => listed.name === name)) clusters.push(knownClusterView(name, this.known)!);
    }
    return clusters;
  }
}
