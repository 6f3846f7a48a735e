import type { SparkJobInput } from '../../../src/domain/spark-job.js';
import { uniqueName } from './kube.js';

const runSecondsAnnotation = 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-run-seconds';

/** SparkPi from the image's examples; kwok runs its driver for `seconds`, then it exits 0 (unless `conf` says otherwise). */
export function sparkPiApp(seconds: number, conf: Record<string, string> = {}) {
  return {
    image: 'apache/spark:4.0.1', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar', mainClass: 'org.apache.spark.examples.SparkPi',
    conf: { [runSecondsAnnotation]: String(seconds), ...conf },
  };
}

/** A `POST /v1/spark-jobs` body with a fresh job id; `extra` adds or overrides top-level fields (cluster, jobId, …). */
export function sparkPiJob(user: string, seconds: number, extra: Record<string, unknown> = {}) {
  return { jobId: uniqueName('job'), user, app: sparkPiApp(seconds), ...extra };
}

/** The same job as the workflow's input, for tests without the API: the user's namespace on the built-in cluster. */
export function sparkPiInput(user: string, seconds: number): SparkJobInput {
  return { jobId: uniqueName('job'), user, cluster: 'local', namespace: `dss-ns-${user}`, autoCreateNamespace: true, app: sparkPiApp(seconds) };
}
