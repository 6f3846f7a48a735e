import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  kernelPodEndSignalName, kernelStatusQueryName, type KernelPodEndReport, type KernelStatus,
} from '../domain/kernel-session.js';
import { kernelContainerName } from '../domain/kernel-pod.js';
import { kindLabel, workflowIdAnnotation } from '../domain/labels.js';
import { podEndOf } from '../domain/pod-state.js';
import { searchAttributeKeys } from '../domain/search-attributes.js';
import { buildListQuery } from '../domain/visibility-query.js';
import { backgroundRetryDelayMs } from './background-retry.js';
import { isNotFound } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import type { PodChange, PodWatchHub } from './kubernetes/pod-watch-hub.js';
import { callTemporalUntilStopped } from './stoppable-temporal-calls.js';

/** A signal not delivered after this many tries is given up (logged): the next worker start finds the end again. */
const signalTries = 8;

export interface PodEndLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Tells each kernel session when its pod ends, from the worker's shared pod watch: a session keeps
 * no watch activity of its own while it idles, so an idle kernel costs its worker nothing but its
 * place in the workflow cache (5,000 of them: BENCHMARKS.md). Every worker reports every end; a
 * session keeps each report once.
 *
 * What a watch can miss is looked for when a worker starts: every cluster in which a kernel session
 * runs is watched from then on, its first list reports the pods that ended meanwhile, and a running
 * session whose pod is not there at all is told, once the API server confirms that it is gone. A
 * pod being deleted is not reported until it is gone, and then only if its deletion was not this
 * worker's (a cull, a shutdown, a restart delete their own pod and need no report of it).
 */
export class KernelPodEndReporter {
  /** Pods whose end was reported, until they are gone. */
  private readonly reported = new Set<string>();
  private readonly stopping = new AbortController();
  /** Reports and look-ups under way: closing waits for them, so that none calls Temporal after its connection closes. */
  private readonly underWay = new Set<Promise<void>>();

  /** `taskQueue`: the sessions this worker runs; other deployments' sessions are theirs to look after. */
  constructor(
    private readonly watches: PodWatchHub, private readonly clusters: ClusterConnector, private readonly temporal: Client, private readonly taskQueue: string,
    private readonly log: PodEndLog,
  ) {
    watches.onEveryChange((_cluster, pod, change) => this.changed(pod, change));
    watches.onClusterListed((cluster, pods) => void this.untilDone(`find the kernel pods missing in cluster '${cluster}'`, () => this.reportMissing(cluster, pods)));
  }

  /** Watches every cluster in which a kernel session runs now, in the background, until it can. */
  start(): void {
    void this.untilDone('watch the clusters of running kernel sessions', async () => {
      const clusters = new Set<string>();
      for await (const execution of this.temporal.workflow.list({ query: buildListQuery({ kind: 'kernel', status: 'Running', taskQueue: this.taskQueue }) })) {
        const cluster = execution.typedSearchAttributes.get(searchAttributeKeys.clusterName);
        if (cluster !== undefined) clusters.add(cluster);
      }
      await Promise.all([...clusters].map((cluster) => this.untilDone(`watch the kernel pods of cluster '${cluster}'`, () => this.watches.watch(cluster))));
    });
  }

  /** Stops, cancelling the calls under way, and resolves once none is left. */
  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.underWay]);
  }

  private changed(pod: V1Pod, change: PodChange): void {
    const { metadata } = pod;
    const workflowId = metadata?.annotations?.[workflowIdAnnotation];
    const uid = metadata?.uid;
    if (metadata?.labels?.[kindLabel] !== 'kernel' || workflowId === undefined || uid === undefined) return;
    const where = `pod ${metadata.namespace ?? ''}/${metadata.name ?? ''}`;
    if (change.deleted) {
      if (this.reported.delete(uid) || change.byThisWorker) return;
    } else if (metadata.deletionTimestamp !== undefined || this.reported.has(uid)) {
      return;
    }
    const end = podEndOf(where, change.deleted ? undefined : pod, kernelContainerName);
    if (end === undefined) return;
    this.report(workflowId, { uid, ...end });
    if (!change.deleted) this.reported.add(uid);
  }

  /** A running session of the cluster whose pod is not in the watch's first list, and not found when read. */
  private async reportMissing(cluster: string, pods: readonly V1Pod[]): Promise<void> {
    const owners = new Set(pods.map((pod) => pod.metadata?.annotations?.[workflowIdAnnotation]));
    const api = (await this.clusters.access(cluster)).config.makeApiClient(CoreV1Api);
    for await (const execution of this.temporal.workflow.list({ query: buildListQuery({ kind: 'kernel', cluster, status: 'Running', taskQueue: this.taskQueue }) })) {
      if (owners.has(execution.workflowId)) continue;
      // Rare (a pod deleted while no worker watched): worth the session's replay that the query may cost.
      const status = await this.temporal.workflow.getHandle(execution.workflowId).query<KernelStatus>(kernelStatusQueryName).catch((error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      });
      if (status?.phase !== 'RUNNING' || status.launchedAt === undefined) continue;
      try {
        await api.readNamespacedPod({ name: status.pod, namespace: status.namespace });
      } catch (error) {
        if (!isNotFound(error)) throw error;
        this.report(execution.workflowId, {
          launchedAt: status.launchedAt, failure: `pod ${status.namespace}/${status.pod} disappeared before it ended`, failureType: 'PodDisappeared',
        });
      }
    }
  }

  private report(workflowId: string, report: KernelPodEndReport): void {
    void this.untilDone(`report the end of kernel ${workflowId}'s pod`, async () => {
      try {
        await this.temporal.workflow.getHandle(workflowId).signal(kernelPodEndSignalName, report);
      } catch (error) {
        // A session that has closed needs no report.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }, signalTries);
  }

  private untilDone(what: string, work: () => Promise<void>, tries = Infinity): Promise<void> {
    const done = this.tryUntilDone(what, work, tries).finally(() => this.underWay.delete(done));
    this.underWay.add(done);
    return done;
  }

  private async tryUntilDone(what: string, work: () => Promise<void>, tries: number): Promise<void> {
    const { signal } = this.stopping;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        return await callTemporalUntilStopped(signal, this.temporal.connection, work);
      } catch (error) {
        if (signal.aborted) return;
        const delayMs = backgroundRetryDelayMs(attempt);
        if (attempt >= tries) {
          this.log.warn({ err: error, attempts: attempt }, `could not ${what}; giving up`);
          return;
        }
        this.log.warn({ err: error, retryInMs: delayMs }, `could not ${what}; trying again`);
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
