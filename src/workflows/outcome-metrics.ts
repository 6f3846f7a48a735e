import { log, metricMeter } from '@temporalio/workflow';

/**
 * What operators graph and read: how spark jobs and kernels end, and how long their cleanup took. The
 * workflow meter skips recording during replay, so a crash never counts an ending twice.
 */
export function recordEnding(kind: 'spark-job' | 'kernel', phase: string, cleanupMs: number): void {
  log.info('cleanup done', { phase, cleanupMs });
  metricMeter.createCounter('compute_orchestrator_endings', '1', 'Spark jobs and kernels by final phase').add(1, { kind, phase });
  metricMeter.createHistogram('compute_orchestrator_cleanup_duration', 'int', 'ms', 'Time from the end of a job or kernel to its cleanup done').record(cleanupMs, { kind });
}
