import {
  ApplicationFailure, CancellationScope, condition, defineQuery, defineSignal, isCancellation, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { gkeProgressSignalName, type ClusterInput, type ClusterOperationProgress, type ClusterStatus } from '../domain/cluster.js';
import { failureMessage, failureType } from './failure-message.js';

export interface DestroyRequest {
  reason?: string;
  by?: string;
}

export const destroyClusterSignal = defineSignal<[DestroyRequest]>('destroy');
/** Sent by the operation poller each time the operation's status or percentage moves. */
export const gkeProgressSignal = defineSignal<[ClusterOperationProgress]>(gkeProgressSignalName);
export const clusterStatusQuery = defineQuery<ClusterStatus>('status');

/** Single GKE calls: transient errors retried, GKE's refusals (permission, quota, bad request) not. */
const gke = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Following a GKE operation: minutes; the heartbeat lets another worker take over a crashed poll. */
const gkeWaits = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Deleting: never gives up (a busy cluster is retried until its create has ended). */
const gkeCleanup = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One cluster, by name. `gke`: created through the GKE API and followed to RUNNING; `static`: an
 * existing cluster of the operators' presets, attached. Either way the orchestrator's ClusterRoles
 * are installed, and the cluster is kept until destroyed (signal, REST DELETE, Temporal cancel).
 * A GKE create that fails or is cancelled after the create call is compensated: the partial
 * cluster is deleted and the workflow waits for that delete to finish. Nothing secret is kept:
 * the endpoint and CA are public, tokens are fetched by the activities when they run.
 */
export async function cluster(input: ClusterInput): Promise<ClusterStatus> {
  const { name, provider } = input;
  const connection = input.gke?.connection;
  const status: ClusterStatus = { name, provider, phase: 'PROVISIONING', createdAt: new Date(Date.now()).toISOString(), ...(connection ? { connection } : {}) };
  let progress: ClusterOperationProgress | undefined;
  let operationStartedAt = Date.now();
  setHandler(gkeProgressSignal, (update) => {
    progress = update;
  });
  setHandler(clusterStatusQuery, () => ({
    ...status,
    ...(progress ? { progress: { ...progress, elapsedSeconds: Math.round((Date.now() - operationStartedAt) / 1000) } } : {}),
  }));
  const life = new CancellationScope();
  let destroyedBy: string | undefined;
  setHandler(destroyClusterSignal, ({ reason, by }) => {
    if (destroyedBy !== undefined) return;
    destroyedBy = `destroyed by ${by ?? 'a client'}${reason ? `: ${reason}` : ''}`;
    life.cancel();
  });

  // Set before the create call: from then on a cluster may exist and must be deleted at the end.
  let mayExist = false;
  let createOperation: string | undefined;
  let created = false;
  let cancellation: Error | undefined;
  try {
    await life.run(async () => {
      if (provider === 'gke' && input.gke) {
        mayExist = true;
        const started = await gke.createGkeCluster({ connection: input.gke.connection, clusterName: name, nodePools: input.gke.nodePools, workflowId: workflowInfo().workflowId });
        if (started.operation) {
          createOperation = started.operation;
          await gkeWaits.waitForGkeOperation({ connection: input.gke.connection, operation: started.operation });
        } else {
          await gkeWaits.waitForGkeCluster({ connection: input.gke.connection, clusterName: name });
        }
        created = true;
        const described = await gke.describeGkeCluster({ connection: input.gke.connection, clusterName: name });
        if (described?.status !== 'RUNNING') throw ApplicationFailure.nonRetryable(`GKE reports cluster ${name} as ${described?.status ?? 'gone'} after its creation`, 'GkeClusterFailed');
        status.endpoint = `https://${described.endpoint}`;
        status.caCertificatePem = described.caCertificatePem;
      }
      await gke.prepareCluster({ name, provider, ...(status.endpoint ? { endpoint: status.endpoint, caCertificatePem: status.caCertificatePem, connection } : {}) });
      status.phase = 'RUNNING';
      progress = undefined;
      await condition(() => false);
    });
  } catch (error) {
    if (isCancellation(error)) {
      status.error = destroyedBy ?? 'destroyed through Temporal';
      cancellation = destroyedBy === undefined ? (error as Error) : undefined;
    } else {
      status.phase = 'FAILED';
      status.error = failureMessage(error);
      // Someone else's cluster of that name is never ours to delete.
      if (failureType(error) === 'GkeClusterNotOurs') mayExist = false;
    }
  }

  const failed = status.phase === 'FAILED';
  status.phase = 'DELETING';
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
  status.phase = failed ? 'FAILED' : 'DELETED';
  delete status.endpoint;
  progress = undefined;
  if (cancellation) throw cancellation;
  if (failed) throw ApplicationFailure.nonRetryable(status.error ?? 'the cluster failed', 'ClusterFailed', status);
  return status;
}
