import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { JanitorInput, JanitorReport } from '../domain/janitor.js';
import { failureMessage } from './failure-message.js';

const calls = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/**
 * A sweep of a cluster: its API may be down for a while (the next scheduled run tries again,
 * but a sweep on demand should outlast a short outage).
 */
const sweeps = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
});

/**
 * Belt and braces for what workflow code cannot clean: objects labelled as ours whose workflow
 * was terminated by hand (Temporal runs no code on terminate) or has vanished. Run by a Schedule
 * and on demand; each cluster is swept on its own, so one unreachable cluster does not stop the rest.
 */
export async function janitor(input: JanitorInput): Promise<JanitorReport> {
  const report: JanitorReport = { startedAt: new Date(Date.now()).toISOString(), clusters: [], checked: 0, removed: [], failures: [] };
  report.clusters = await calls.janitorClusters();
  for (const cluster of report.clusters) {
    try {
      const swept = await sweeps.sweepCluster({ cluster, graceSeconds: input.graceSeconds });
      report.checked += swept.checked;
      report.removed.push(...swept.removed);
    } catch (error) {
      report.failures.push(`${cluster}: ${failureMessage(error)}`);
    }
  }
  report.finishedAt = new Date(Date.now()).toISOString();
  return report;
}
