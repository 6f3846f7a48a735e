import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

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

// Long activities heartbeat; a 10 s heartbeat timeout bounds how long a crashed worker's attempt
// blocks the retry on another worker.

/** Waiting and watching: as long as the pod lives. */
export const watchActivities = proxyActivities<Activities>({
  startToCloseTimeout: '3650 days',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Deleting a pod and waiting until it is gone; never gives up. */
export const podCleanup = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
