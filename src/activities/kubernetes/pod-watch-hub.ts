import { CoreV1Api, makeInformer, type Informer, type V1Pod } from '@kubernetes/client-node';
import { kindLabel } from '../../domain/labels.js';
import type { ClusterConnector } from './cluster-connector.js';

/** Called with the pod's latest state, or `undefined` once it is deleted. */
export type PodListener = (pod: V1Pod | undefined) => void;

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
const restartDelaysMs = [1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * One watch per cluster of every pod we own, shared by all the activities of this worker that
 * follow a pod. A thousand idle kernels then cost the API server one watch stream, not a thousand
 * polls a second. A watch that breaks is started again with backoff; it resumes from the last
 * resource version, or lists again, which reports pods deleted in the meantime.
 */
export class PodWatchHub {
  /** Promises, so that activities resuming together after a restart share one watch, not start one each. */
  private readonly watches = new Map<string, Promise<ClusterWatch>>();
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

  async close(): Promise<void> {
    this.closed = true;
    for (const watch of await Promise.allSettled([...this.watches.values()])) {
      if (watch.status === 'fulfilled') await watch.value.informer.stop();
    }
    this.watches.clear();
  }

  private watchOf(cluster: string): Promise<ClusterWatch> {
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
      const delay = restartDelaysMs[Math.min(failures++, restartDelaysMs.length - 1)];
      setTimeout(() => { if (!this.closed) informer.start().catch((restartError: unknown) => this.onWatchError(cluster, restartError)); }, delay).unref();
    });
    await informer.start();
    const cache = informer as unknown as { get(name: string, namespace?: string): V1Pod | undefined };
    return { informer, get: (namespace, name) => cache.get(name, namespace), listeners };
  }
}
