import { ApplicationFailure, CancellationScope, condition, defineUpdate, setHandler, uuid4 } from '@temporalio/workflow';
import {
  initialNodePools, maxKeptNodePoolOperations, nodePoolStatus, type ClusterInput, type ClusterResume, type ClusterStatus, type NodePoolAddition,
  type NodePoolOperation, type NodePoolResize, type NodePoolStatus,
} from '../domain/cluster.js';
import { clusterCalls as starts, gkeWaits as waits } from './activity-proxies.js';
import { failureMessage } from './failure-message.js';

/** Validated by the workflow (400 naming the field, 409), answered at once: the operation, PENDING. */
export const resizeNodePoolUpdate = defineUpdate<NodePoolOperation, [NodePoolResize]>('resizeNodePool');
export const addNodePoolUpdate = defineUpdate<NodePoolOperation, [NodePoolAddition]>('addNodePool');

/** A refusal a client sees as its own error: the update's failure type is the domain's error code. */
const refused = (code: 'VALIDATION' | 'CONFLICT', message: string, field?: string): ApplicationFailure =>
  ApplicationFailure.nonRetryable(message, code, ...(field ? [field] : []));

export interface NodePoolWork {
  /** The pools as created, once the cluster is RUNNING. */
  created(): void;
  /** Runs the queued operations, one at a time, until `stop()`; the one under way is finished first. */
  run(): Promise<void>;
  stop(): void;
  /** For the status: the pools and the latest operations (GKE clusters once RUNNING). */
  view(): Pick<ClusterStatus, 'nodePools' | 'nodePoolOperations'>;
  /** What a continued run takes over: the pools and the operations, pending ones with their settings. */
  carried(): Pick<ClusterResume, 'nodePools' | 'nodePoolOperations' | 'nodePoolAdditions'>;
}

/**
 * A GKE cluster's node pools: resizes and added pools asked by clients through workflow updates,
 * run in order (GKE refuses a second operation on a cluster while one runs), each followed to its
 * end as the create is. The status lists the pools with their sizes and the latest operations.
 */
export function nodePoolWork(input: ClusterInput, status: ClusterStatus, onProgressEnd: () => void): NodePoolWork {
  // Copies of plain records (the sandbox has no structuredClone): what a query hands out must not change under it.
  const pools: NodePoolStatus[] = (input.resume?.nodePools ?? []).map((pool) => ({ ...pool }));
  const operations: NodePoolOperation[] = (input.resume?.nodePoolOperations ?? []).map((operation) => ({ ...operation }));
  const additions = new Map(Object.entries(input.resume?.nodePoolAdditions ?? {}));
  const target = input.gke ? { connection: input.gke.connection, clusterName: input.name } : undefined;
  let stopped = false;

  const pool = (name: string): NodePoolStatus | undefined => pools.find((candidate) => candidate.name === name);
  const queued = (kind: NodePoolOperation['kind'], name: string): boolean =>
    operations.some((operation) => operation.kind === kind && operation.pool === name && (operation.state === 'PENDING' || operation.state === 'RUNNING'));
  const changeable = (): void => {
    if (status.provider !== 'gke') throw refused('CONFLICT', `cluster '${status.name}' is static: its node pools are not the orchestrator's to change`);
    if (status.phase !== 'RUNNING') throw refused('CONFLICT', `cluster '${status.name}' is ${status.phase}: node pools change only while it is RUNNING`);
  };
  const enqueue = (operation: Omit<NodePoolOperation, 'id' | 'state' | 'requestedAt'>): NodePoolOperation => {
    const entry: NodePoolOperation = { id: uuid4(), state: 'PENDING', requestedAt: new Date(Date.now()).toISOString(), ...operation };
    operations.push(entry);
    return { ...entry };
  };

  setHandler(resizeNodePoolUpdate, ({ pool: name, nodeCount, by }) => enqueue({ kind: 'resize', pool: name, nodeCount, ...(by ? { requestedBy: by } : {}) }), {
    validator: ({ pool: name, nodeCount }: NodePoolResize) => {
      changeable();
      const known = pool(name);
      if (!known || queued('add', name)) {
        throw refused('VALIDATION', `cluster '${status.name}' has no node pool '${name}'; its pools: ${pools.map((entry) => entry.name).join(', ') || 'none'}`, 'pool');
      }
      if (!Number.isInteger(nodeCount) || nodeCount < 0 || nodeCount > known.maxNodes) {
        throw refused('VALIDATION', `nodeCount must be an integer from 0 to ${known.maxNodes} (node pool '${name}'s maximum), got ${nodeCount}`, 'nodeCount');
      }
    },
  });
  setHandler(addNodePoolUpdate, ({ pool: name, preset, settings, by }) => {
    additions.set(name, settings);
    return enqueue({ kind: 'add', pool: name, preset, ...(by ? { requestedBy: by } : {}) });
  }, {
    validator: ({ pool: name }: NodePoolAddition) => {
      changeable();
      if (pool(name) || queued('add', name)) throw refused('CONFLICT', `cluster '${status.name}' already has a node pool '${name}'`);
    },
  });

  const perform = async (operation: NodePoolOperation, on: { connection: string; clusterName: string }): Promise<void> => {
    if (operation.kind === 'resize') {
      pool(operation.pool)!.state = 'RESIZING';
      const started = await starts.resizeGkeNodePool({ ...on, pool: operation.pool, nodeCount: operation.nodeCount! });
      if (started.operation) await waits.waitForGkeOperation({ connection: on.connection, operation: started.operation });
      pool(operation.pool)!.nodeCount = operation.nodeCount!;
      return;
    }
    const settings = additions.get(operation.pool)!;
    pools.push(nodePoolStatus(operation.pool, settings, 'ADDING'));
    const started = await starts.addGkeNodePool({ ...on, pool: operation.pool, preset: settings });
    if (started.operation) await waits.waitForGkeOperation({ connection: on.connection, operation: started.operation });
    additions.delete(operation.pool);
  };

  const next = (): NodePoolOperation | undefined => operations.find((operation) => operation.state === 'PENDING');

  return {
    created() {
      if (input.gke && pools.length === 0) pools.push(...initialNodePools(input.gke.nodePools));
    },
    async run() {
      for (;;) {
        await condition(() => stopped || next() !== undefined);
        const operation = next();
        if (stopped || !operation) return;
        const on = target;
        if (!on) return;
        operation.state = 'RUNNING';
        try {
          // Not cut short by a continue-as-new: stop() waits for it; a destroy cancels it.
          await perform(operation, on);
          operation.state = 'DONE';
        } catch (error) {
          operation.state = 'FAILED';
          operation.error = failureMessage(error);
          if (CancellationScope.current().consideredCancelled) throw error;
        } finally {
          const affected = pool(operation.pool);
          if (affected) affected.state = operation.state === 'FAILED' && operation.kind === 'add' ? 'ERROR' : 'RUNNING';
          operation.endedAt = new Date(Date.now()).toISOString();
          onProgressEnd();
          const ended = operations.filter((kept) => kept.state === 'DONE' || kept.state === 'FAILED');
          if (ended.length > maxKeptNodePoolOperations) operations.splice(operations.indexOf(ended[0]!), 1);
        }
      }
    },
    stop() {
      stopped = true;
    },
    view: () => (input.gke && pools.length > 0 ? { nodePools: pools.map((pool) => ({ ...pool })), nodePoolOperations: operations.map((operation) => ({ ...operation })) } : {}),
    carried: () => ({ nodePools: pools, nodePoolOperations: operations, nodePoolAdditions: Object.fromEntries(additions) }),
  };
}
