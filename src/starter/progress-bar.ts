import type { ClusterStatus } from '../domain/cluster.js';

const width = 30;

/** One line for a cluster on its way: phase, a bar when GKE reports a percentage, elapsed time. */
export function clusterProgressLine(status: Pick<ClusterStatus, 'name' | 'phase' | 'progress'>): string {
  const { progress } = status;
  if (!progress) return `${status.name}  ${status.phase}`;
  const elapsed = `${progress.elapsedSeconds}s`;
  if (progress.percent === undefined) return `${status.name}  ${status.phase}  operation ${progress.status}  ${elapsed}`;
  const percent = Math.max(0, Math.min(100, Math.round(progress.percent)));
  const filled = Math.round((percent / 100) * width);
  return `${status.name}  ${status.phase}  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}%  ${elapsed}`;
}
