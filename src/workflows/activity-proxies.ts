import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { watchTaskQueue } from '../domain/task-queues.js';

/**
 * Single Kubernetes calls (create or delete one object), idempotent and quick, run as local
 * activities: no round trip through the server for each. A worker crash re-runs them on replay,
 * which their idempotence allows.
 */
export const kubernetesCalls = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/** The same for cleanup, which never gives up: no attempt limit, backoff up to a minute. */
export const kubernetesCleanupCalls = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Reading the end of a pod's log at cleanup: three attempts within 15 s and then none, so that a
 * node that serves no logs (refusing, or not answering at all) or an API server in trouble costs
 * the cleanup seconds, not minutes; a kubelet that answers sends the few MiB at most asked for
 * well within an attempt's 5 s.
 */
export const logReads = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 seconds',
  scheduleToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

// Long activities heartbeat; a 10 s heartbeat timeout bounds how long a crashed worker's attempt
// blocks the retry on another worker.

/** Waiting for a pod to start: bounded by the launch timeout the workflow passes. */
export const launchActivities = proxyActivities<Activities>({
  startToCloseTimeout: '1 day',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Watching a pod for as long as it lives, on the watch task queue of the workflow's own queue
 * (hence a function: the queue is known only inside a run). A watch heartbeats once per 80 % of
 * its heartbeat timeout, each a write on the Temporal server, and a crashed worker's watch resumes
 * one timeout later (a live watch sees a pod's end at once): 20 s by default; a kernel's, which
 * may idle for hours by the thousand, a minute (at 20 s, 1,000 idle kernels cost the dev server a
 * third of a core: BENCHMARKS.md).
 */
export const podWatches = (heartbeatTimeoutMs = 20_000) => proxyActivities<Activities>({
  taskQueue: watchTaskQueue(workflowInfo().taskQueue),
  startToCloseTimeout: '3650 days',
  heartbeatTimeout: heartbeatTimeoutMs,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Deleting a pod and waiting until it is gone within the workflow task, as a local activity (no
 * round trip through the server): for a pod whose end the workflow has already decided (it ended,
 * or it is culled and this task cancels its watches), so that what a watch then sees changes
 * nothing. Never gives up.
 */
export const localPodCleanup = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Deleting a pod and waiting until it is gone; never gives up. */
export const podCleanup = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Single calls of a cluster's workflow (GKE, the cluster's set-up, Temporal look-ups): transient
 * errors retried, GKE's refusals (permission, quota, bad request) not; a busy cluster for minutes.
 */
export const clusterCalls = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Following a GKE operation: minutes; the heartbeat lets another worker take over a crashed poll. */
export const gkeWaits = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
