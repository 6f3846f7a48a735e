import { validationError } from './errors.js';
import { managedByLabel, kindLabel, ownerLabel, createdNamespaceLabel, workflowIdAnnotation, type Marks } from './labels.js';
import type { SparkJobInput, SparkJobNames } from './spark-job.js';

/** Where and as whom spark-submit talks to the cluster; the token file exists only during the call. */
export interface SubmitTarget {
  apiServer: string;
  caCertFile: string;
  tokenFile: string;
}

const ourMarks = [managedByLabel, kindLabel, ownerLabel, createdNamespaceLabel, workflowIdAnnotation];

/**
 * Spark settings the orchestrator owns: identity, target, placement, and anything that could
 * reach outside the pod (host paths, pod templates). A user setting one is refused, by name.
 */
const reservedConf: Array<string | RegExp> = [
  'spark.master', 'spark.submit.deployMode', 'spark.kubernetes.namespace', 'spark.kubernetes.context',
  'spark.kubernetes.container.image', 'spark.kubernetes.driver.container.image', 'spark.kubernetes.executor.container.image',
  'spark.kubernetes.driver.pod.name', 'spark.kubernetes.driver.master', 'spark.kubernetes.submission.waitAppCompletion',
  'spark.kubernetes.driver.podTemplateFile', 'spark.kubernetes.executor.podTemplateFile',
  /^spark\.kubernetes\.authenticate\./,
  /^spark\.kubernetes\.(driver|executor)\.volumes\.hostPath\./,
  new RegExp(`^spark\\.kubernetes\\.(driver|executor)\\.(label|annotation)\\.(${ourMarks.map((mark) => mark.replace(/[./]/g, '\\$&')).join('|')})$`),
];

export function checkUserConf(conf: Record<string, string>): void {
  for (const key of Object.keys(conf)) {
    const reserved = reservedConf.some((rule) => (typeof rule === 'string' ? rule === key : rule.test(key)));
    if (reserved) throw validationError(`app.conf.${key}`, `app.conf.${key} is set by the orchestrator and cannot be overridden`);
  }
}

function resourceConf(input: SparkJobInput): Record<string, string> {
  const { driver, executor } = input.app;
  const conf: Record<string, string> = {};
  if (driver?.cores !== undefined) conf['spark.driver.cores'] = String(driver.cores);
  if (driver?.memory !== undefined) conf['spark.driver.memory'] = driver.memory;
  if (executor?.instances !== undefined) conf['spark.executor.instances'] = String(executor.instances);
  if (executor?.cores !== undefined) conf['spark.executor.cores'] = String(executor.cores);
  if (executor?.memory !== undefined) conf['spark.executor.memory'] = executor.memory;
  return conf;
}

/** The spark-submit command line for one job: cluster mode, no waiting, our identity and marks. */
export function sparkSubmitArguments(input: SparkJobInput, names: SparkJobNames, target: SubmitTarget, marks: Marks): string[] {
  const user = input.app.conf ?? {};
  checkUserConf(user);
  const ours: Record<string, string> = {
    'spark.kubernetes.namespace': input.namespace,
    'spark.kubernetes.container.image': input.app.image,
    'spark.kubernetes.driver.pod.name': names.driverPod,
    'spark.kubernetes.authenticate.driver.serviceAccountName': names.serviceAccount,
    'spark.kubernetes.authenticate.submission.oauthTokenFile': target.tokenFile,
    'spark.kubernetes.authenticate.submission.caCertFile': target.caCertFile,
    'spark.kubernetes.submission.waitAppCompletion': 'false',
  };
  for (const role of ['driver', 'executor']) {
    for (const [key, value] of Object.entries(marks.labels)) ours[`spark.kubernetes.${role}.label.${key}`] = value;
    for (const [key, value] of Object.entries(marks.annotations)) ours[`spark.kubernetes.${role}.annotation.${key}`] = value;
  }
  // Ours last: spark-submit keeps the last value of a repeated --conf.
  const conf = { ...user, ...resourceConf(input), ...ours };
  return [
    '--master', `k8s://${target.apiServer}`,
    '--deploy-mode', 'cluster',
    '--name', input.jobId,
    ...(input.app.mainClass ? ['--class', input.app.mainClass] : []),
    ...Object.entries(conf).flatMap(([key, value]) => ['--conf', `${key}=${value}`]),
    input.app.mainApplicationFile,
    ...(input.app.args ?? []),
  ];
}
