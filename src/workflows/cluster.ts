import {
  ApplicationFailure, CancellationScope, condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  clusterStatusAtStart, gkeProgressSignalName, type ClusterInput, type ClusterOperationProgress, type ClusterResume, type ClusterStatus,
} from '../domain/cluster.js';
import { clusterCalls as calls, gkeWaits } from './activity-proxies.js';
import { clusterUseSignal } from './cluster-use.js';
import { handleStopSignal, settle, type StopRequest } from './ending.js';
import { failureType } from './failure-message.js';
import { historyIsLong } from './history-length.js';
import { nodePoolWork } from './node-pool-operations.js';
import { enterPhase } from './phase.js';

export const destroyClusterSignal = defineSignal<[StopRequest]>('destroy');
/** Sent by the operation poller each time the operation's status or percentage moves. */
export const gkeProgressSignal = defineSignal<[ClusterOperationProgress]>(gkeProgressSignalName);
export const clusterStatusQuery = defineQuery<ClusterStatus>('status');

/** Deleting: never gives up (a busy cluster is retried until its create has ended). */
const gkeCleanup = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const defaultHistoryEventLimit = 2_000;
/** Bounds for re-checking the users of a cluster with an idle TTL: one that was terminated never says it ended. */
const userCheckMs = { min: 10_000, max: 300_000 };

/**
 * One cluster, by name. `gke`: created through the GKE API and followed to RUNNING; `static`: an
 * existing cluster of the operators' presets, attached. Either way the orchestrator's ClusterRoles
 * are installed, and the cluster is kept until destroyed (signal, REST DELETE, Temporal cancel).
 * A GKE create that fails or is cancelled after the create call is compensated: the partial
 * cluster is deleted and the workflow waits for that delete to finish. Nothing secret is kept:
 * the endpoint and CA are public, tokens are fetched by the activities when they run.
 * With an idle TTL, the cluster is destroyed once no job or kernel has used it for that long; jobs
 * and kernels report when they start and stop using it. A long-lived cluster continues as new.
 */
export async function cluster(input: ClusterInput): Promise<ClusterStatus> {
  const { name, provider, resume, idleTtlSeconds } = input;
  const connection = input.gke?.connection;
  const status = clusterStatusAtStart(input, Date.now());
  let progress: ClusterOperationProgress | undefined;
  let operationStartedAt = Date.now();
  const users = new Map(Object.entries(resume?.users ?? {}));
  let lastUsedAt = resume?.lastUsedAt ?? 0;
  let uses = 0;
  setHandler(gkeProgressSignal, (update) => {
    progress = update;
  });
  setHandler(clusterUseSignal, ({ workflowId, kind, inUse }) => {
    if (inUse) users.set(workflowId, kind);
    else users.delete(workflowId);
    lastUsedAt = Date.now();
    uses++;
  });
  const pools = nodePoolWork(input, status, () => {
    progress = undefined;
  });
  setHandler(clusterStatusQuery, () => ({
    ...status,
    ...pools.view(),
    ...(progress ? { progress: { ...progress, elapsedSeconds: Math.round((Date.now() - operationStartedAt) / 1000) } } : {}),
    ...(status.phase === 'RUNNING' ? { inUseBy: users.size, lastUsedAt: new Date(lastUsedAt).toISOString() } : {}),
  }));
  const life = new CancellationScope();
  const destroy = handleStopSignal(destroyClusterSignal, life, { bySignal: 'destroyed', byTemporal: 'destroyed' });

  const historyEventLimit = input.historyEventLimit ?? defaultHistoryEventLimit;
  /** RUNNING until destroyed, idle for the TTL (→ 'idle'), or the history is long (→ 'continue'). */
  const keep = async (): Promise<'idle' | 'continue'> => {
    for (;;) {
      if (historyIsLong(historyEventLimit)) return 'continue';
      const seen = uses;
      if (!idleTtlSeconds) {
        await condition(() => uses !== seen);
        continue;
      }
      const ttlMs = idleTtlSeconds * 1000;
      const idleLeft = lastUsedAt + ttlMs - Date.now();
      if (users.size === 0 && idleLeft <= 0) return 'idle';
      const wait = users.size === 0 ? idleLeft : Math.min(Math.max(ttlMs, userCheckMs.min), userCheckMs.max);
      if (await condition(() => uses !== seen, wait) || users.size === 0) continue;
      const states = await calls.workflowStates({ workflowIds: [...users.keys()] });
      for (const [workflowId, state] of Object.entries(states)) {
        if (state !== 'running' && users.delete(workflowId)) lastUsedAt = Date.now();
      }
    }
  };

  // Set before the create call: from then on a cluster may exist and must be deleted at the end.
  let mayExist = resume !== undefined && provider === 'gke';
  let createOperation: string | undefined;
  let created = resume !== undefined;
  let cancellation: Error | undefined;
  let continuing = false;
  try {
    await life.run(async () => {
      if (resume) return;
      if (provider === 'gke' && input.gke) {
        mayExist = true;
        const started = await calls.createGkeCluster({ connection: input.gke.connection, clusterName: name, nodePools: input.gke.nodePools, workflowId: workflowInfo().workflowId });
        if (started.operation) {
          createOperation = started.operation;
          await gkeWaits.waitForGkeOperation({ connection: input.gke.connection, operation: started.operation });
        } else {
          await gkeWaits.waitForGkeCluster({ connection: input.gke.connection, clusterName: name });
        }
        created = true;
        const described = await calls.describeGkeCluster({ connection: input.gke.connection, clusterName: name });
        if (described?.status !== 'RUNNING') throw ApplicationFailure.nonRetryable(`GKE reports cluster ${name} as ${described?.status ?? 'gone'} after its creation`, 'GkeClusterFailed');
        status.endpoint = `https://${described.endpoint}`;
        status.caCertificatePem = described.caCertificatePem;
      }
      await calls.prepareCluster({ name, provider, ...(status.endpoint ? { endpoint: status.endpoint, caCertificatePem: status.caCertificatePem, connection } : {}) });
      pools.created();
      enterPhase(status, 'RUNNING');
      lastUsedAt = Date.now();
      progress = undefined;
    });
    await life.run(async () => {
      // A destroy cancels the operation under way (marked FAILED); the cancellation itself reaches keep().
      const poolsWorking = pools.run().catch(() => undefined);
      const kept = await keep();
      pools.stop();
      await poolsWorking;
      if (kept === 'continue') {
        continuing = true;
        return;
      }
      status.error = `destroyed after ${idleTtlSeconds}s without a job or kernel using it`;
    });
  } catch (error) {
    const interruption = destroy.interruption(error);
    status.error = interruption.error;
    cancellation = interruption.cancellation;
    // A destroyed cluster keeps its phase until it is deleted.
    if (!interruption.stopped) {
      enterPhase(status, 'FAILED');
      // Someone else's cluster of that name is never ours to delete.
      if (failureType(error) === 'GkeClusterNotOurs') mayExist = false;
    }
  }

  // Built last, so a use reported in the same workflow task is carried over; a destroy is not lost.
  if (continuing && destroy.requestedBy() === undefined) {
    const next: ClusterResume = {
      createdAt: status.createdAt, endpoint: status.endpoint, caCertificatePem: status.caCertificatePem, users: Object.fromEntries(users), lastUsedAt, ...pools.carried(),
    };
    return await continueAsNew<typeof cluster>({ ...input, resume: next });
  }
  if (continuing) status.error = destroy.requestedBy();

  const failed = status.phase === 'FAILED';
  enterPhase(status, 'DELETING');
  await CancellationScope.nonCancellable(async () => {
    if (!mayExist || !input.gke) return;
    const target = { connection: input.gke.connection, clusterName: name };
    if (createOperation && !created) await gkeCleanup.cancelGkeOperation({ connection: target.connection, operation: createOperation });
    const deletion = await gkeCleanup.deleteGkeCluster({ ...target, workflowId: workflowInfo().workflowId });
    if (deletion.operation) {
      operationStartedAt = Date.now();
      await gkeCleanup.waitForGkeOperation({ connection: target.connection, operation: deletion.operation });
    }
  });
  enterPhase(status, failed ? 'FAILED' : 'DELETED');
  delete status.endpoint;
  progress = undefined;
  return settle(status, cancellation, { type: 'ClusterFailed', otherwise: 'the cluster failed' });
}
