import { CoreV1Api, makeInformer, type Informer, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import { kindLabel } from '../../domain/labels.js';
import { backgroundRetryDelayMs } from '../background-retry.js';
import type { ClusterConnector } from './cluster-connector.js';

/** Called with the pod's latest state, or `undefined` once it is deleted. */
export type PodListener = (pod: V1Pod | undefined) => void;

/**
 * Called for every change of every pod the worker watches, in every cluster: `deleted` once the pod
 * is gone, and then `byThisWorker` when this process asked for that deletion (expectDeletion).
 */
export type PodChangeListener = (cluster: string, pod: V1Pod, change: PodChange) => void;
export type PodChange = { deleted: false } | { deleted: true; byThisWorker: boolean };

/** Called once a cluster's watch has listed its pods for the first time in this process. */
export type ClusterListedListener = (cluster: string, pods: readonly V1Pod[]) => void;

interface ClusterWatch {
  informer: Informer<V1Pod>;
  get(namespace: string, name: string): V1Pod | undefined;
  listeners: Map<string, Set<PodListener>>;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

/** Wakes a wait at each change of one pod, as the worker's shared watch sees it. */
export interface PodChanges {
  /** Resolves at the next change since the last call (at once if one came meanwhile), or after `timeoutMs`. */
  next(timeoutMs: number): Promise<void>;
  stop(): void;
}
/** A deletion this worker asked for and whose end the watch has not seen is forgotten after this long. */
const expectedDeletionMs = 10 * 60_000;

/**
 * One watch per cluster of every pod we own, shared by all the activities of this worker that
 * follow a pod. A thousand idle kernels then cost the API server one watch stream, not a thousand
 * polls a second. A watch that breaks is started again with backoff; it resumes from the last
 * resource version, or lists again, which reports pods deleted in the meantime.
 */
export class PodWatchHub {
  /** Promises, so that activities resuming together after a restart share one watch, not start one each. */
  private readonly watches = new Map<string, Promise<ClusterWatch>>();
  private readonly changeListeners: PodChangeListener[] = [];
  private readonly listedListeners: ClusterListedListener[] = [];
  /** Pod uids whose deletion this worker asked for, with when. */
  private readonly expectedDeletions = new Map<string, number>();
  private closed = false;

  constructor(private readonly clusters: ClusterConnector, private readonly onWatchError: (cluster: string, error: unknown) => void) {}

  /** Listens to one pod; returns the pod as the cache knows it now and the way to stop listening. */
  async follow(cluster: string, namespace: string, name: string, listener: PodListener): Promise<{ current: V1Pod | undefined; stop: () => void }> {
    const watch = await this.watchOf(cluster);
    const listeners = watch.listeners.get(key(namespace, name)) ?? new Set<PodListener>();
    watch.listeners.set(key(namespace, name), listeners);
    listeners.add(listener);
    return {
      current: watch.get(namespace, name),
      stop: () => {
        listeners.delete(listener);
        if (listeners.size === 0) watch.listeners.delete(key(namespace, name));
      },
    };
  }

  /**
   * For a wait that reads the pod itself (the API server is the authority) and wants to read it
   * again as soon as it changes, rather than on a timer.
   */
  async changesOf(cluster: string, namespace: string, name: string): Promise<PodChanges> {
    let changed = false;
    let wake: (() => void) | undefined;
    const followed = await this.follow(cluster, namespace, name, () => {
      changed = true;
      wake?.();
    });
    return {
      async next(timeoutMs) {
        if (!changed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, timeoutMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        changed = false;
        wake = undefined;
      },
      stop: followed.stop,
    };
  }

  /** Listens to every change of every pod, in the clusters watched now and later. */
  onEveryChange(listener: PodChangeListener): void {
    this.changeListeners.push(listener);
  }

  /** Listens to the first list of each cluster's watch. */
  onClusterListed(listener: ClusterListedListener): void {
    this.listedListeners.push(listener);
  }

  /** Starts watching a cluster (when nothing has followed one of its pods yet); resolves once listed. */
  async watch(cluster: string): Promise<void> {
    await this.watchOf(cluster);
  }

  /** Marks the deletion of a pod as this worker's own, for the listeners of every change. */
  expectDeletion(uid: string): void {
    const now = Date.now();
    // Oldest first: the pruning stops at the first that is recent.
    for (const [expected, at] of this.expectedDeletions) {
      if (now - at <= expectedDeletionMs) break;
      this.expectedDeletions.delete(expected);
    }
    this.expectedDeletions.set(uid, now);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const watch of await Promise.allSettled([...this.watches.values()])) {
      if (watch.status === 'fulfilled') await watch.value.informer.stop();
    }
    this.watches.clear();
  }

  private watchOf(cluster: string): Promise<ClusterWatch> {
    if (this.closed) return Promise.reject(new Error('the pod watches are closed'));
    const existing = this.watches.get(cluster);
    if (existing) return existing;
    const watch = this.startWatch(cluster);
    // A watch that could not start is forgotten: the next follow tries afresh.
    watch.catch(() => this.watches.delete(cluster));
    this.watches.set(cluster, watch);
    return watch;
  }

  /** Resolves once the first list has filled the cache. */
  private async startWatch(cluster: string): Promise<ClusterWatch> {
    const { config } = await this.clusters.access(cluster);
    const api = config.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(config, '/api/v1/pods', () => api.listPodForAllNamespaces({ labelSelector: kindLabel }), kindLabel);
    const listeners = new Map<string, Set<PodListener>>();
    const notify = (pod: V1Pod, deleted: boolean): void => {
      const interested = listeners.get(key(pod.metadata?.namespace ?? '', pod.metadata?.name ?? ''));
      for (const listener of interested ?? []) listener(deleted ? undefined : pod);
      const change: PodChange = deleted ? { deleted: true, byThisWorker: this.expectedDeletions.delete(pod.metadata?.uid ?? '') } : { deleted: false };
      for (const listener of this.changeListeners) listener(cluster, pod, change);
    };
    informer.on('add', (pod) => notify(pod, false));
    informer.on('update', (pod) => notify(pod, false));
    informer.on('delete', (pod) => notify(pod, true));
    let failures = 0;
    informer.on('connect', () => { failures = 0; });
    informer.on('error', (error) => {
      // Closing aborts the watch's request, which reports itself as an error: not a break.
      if (this.closed) return;
      this.onWatchError(cluster, error);
      const delay = backgroundRetryDelayMs(++failures);
      setTimeout(() => { if (!this.closed) informer.start().catch((restartError: unknown) => this.onWatchError(cluster, restartError)); }, delay).unref();
    });
    await informer.start();
    const cache = informer as unknown as ObjectCache<V1Pod>;
    for (const listener of this.listedListeners) listener(cluster, cache.list());
    return { informer, get: (namespace, name) => cache.get(name, namespace), listeners };
  }
}
