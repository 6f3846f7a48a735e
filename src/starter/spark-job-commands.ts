import { InvalidArgumentError, type Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { knownClustersOf } from '../client/known-clusters.js';
import { leaseKubeconfig } from '../client/lease-kubeconfig.js';
import { SparkJobsClient } from '../client/spark-jobs.js';
import { submitSparkJob } from '../client/submit-spark-job.js';
import type { SparkJobStatus } from '../domain/spark-job.js';
import { withTemporal } from './connection.js';
import { keyValue, positiveInteger } from './options.js';

interface SubmitOptions {
  user: string;
  deployMode: string;
  leaseSeconds?: number;
  image?: string;
  class?: string;
  jobId?: string;
  cluster?: string;
  namespaceTemplate?: string;
  autoCreate?: boolean;
  adminProperty?: Record<string, string>;
  conf?: Record<string, string>;
  driverCores?: number;
  driverMemory?: string;
  executors?: number;
  executorCores?: number;
  executorMemory?: string;
  timeout?: number;
  detach?: boolean;
}

const finalPhases = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
/** Exit status of `submit` and `status --wait` by final phase: scripts can branch on it. */
const exitCodes: Record<string, number> = { SUCCEEDED: 0, FAILED: 1, CANCELLED: 3 };

/** Prints each phase as it changes until the job has ended and is cleaned up. */
async function follow(jobs: SparkJobsClient, jobId: string): Promise<SparkJobStatus> {
  let last = '';
  for (;;) {
    const status = await jobs.status(jobId);
    const line = `${status.phase}${status.cleanedUp ? ' (cleaned up)' : ''}`;
    if (line !== last) {
      console.log(`${new Date().toISOString()}  ${line}${status.phase === 'RUNNING' ? `  driver ${status.namespace}/${status.driverPod}` : ''}`);
      last = line;
    }
    if (finalPhases.includes(status.phase) && status.cleanedUp) return status;
    await sleep(1_000);
  }
}

/**
 * Writes a file only its owner can read, replacing any earlier one whole: a kubeconfig holds a
 * token. A new file is made 0600 and renamed over the old, so the token never sits in a file of
 * looser mode, nor half-written.
 */
async function writePrivateFile(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

const exitCode = (raw: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new InvalidArgumentError('must be an integer');
  return value;
};

function conclude(status: SparkJobStatus): void {
  if (status.exitCode !== undefined) console.log(`driver exit code: ${status.exitCode}`);
  if (status.error) console.log(`error: ${status.error}`);
  process.exitCode = exitCodes[status.phase] ?? 1;
}

export function registerSparkJobCommands(program: Command): void {
  program.command('submit')
    .description('Submit a Spark job and follow its phases until it has ended (unless --detach). '
      + 'With --deploy-mode client: make the identity only, print the job id and return; then `lease kubeconfig`, `lease renew` and `lease end`.')
    .argument('[mainApplicationFile]', 'local:// path in the image, or a remote URL (cluster mode)')
    .argument('[args...]', 'arguments of the application')
    .requiredOption('--user <login>', 'DSS login of the user the job runs for')
    .option('--deploy-mode <mode>', 'cluster: the orchestrator runs spark-submit; client: the caller runs the driver with a lease on the identity', 'cluster')
    .option('--lease-seconds <n>', 'client mode: the identity is removed when the lease is not renewed for this long (default 120)', positiveInteger)
    .option('--image <image>', 'container image of driver and executors (cluster mode)')
    .option('--class <mainClass>', 'main class of a JVM application')
    .option('--job-id <id>', 'idempotency key (default: a new UUID)')
    .option('--cluster <name>', 'target cluster', 'local')
    .option('--namespace-template <template>', 'default dss-ns-${dssUserLogin}')
    .option('--no-auto-create', 'fail when the namespace does not exist')
    .option('--admin-property <key=value>', 'admin property for the template (repeatable)', keyValue)
    .option('--conf <key=value>', 'Spark setting (repeatable)', keyValue)
    .option('--driver-cores <n>', 'driver cores', positiveInteger)
    .option('--driver-memory <size>', 'driver memory, e.g. 1g')
    .option('--executors <n>', 'executor instances', positiveInteger)
    .option('--executor-cores <n>', 'executor cores', positiveInteger)
    .option('--executor-memory <size>', 'executor memory, e.g. 2g')
    .option('--timeout <seconds>', 'kill the job after this long', positiveInteger)
    .option('--detach', 'print the job id and return at once')
    .action((mainApplicationFile: string | undefined, args: string[], options: SubmitOptions, command: Command) => withTemporal(async ({ client }, config) => {
      const clientMode = options.deployMode === 'client';
      if (!clientMode && (!mainApplicationFile || !options.image)) command.error('error: cluster mode needs <mainApplicationFile> and --image');
      const submitted = await submitSparkJob({
        temporal: client, taskQueue: config.taskQueue, orchestratorNamespace: config.orchestratorNamespace, maxInFlightPerUser: config.sparkMaxInFlightPerUser, knownClusters: knownClustersOf(config),
      }, {
        ...(options.jobId ? { jobId: options.jobId } : {}),
        user: options.user,
        cluster: options.cluster,
        ...(options.namespaceTemplate || options.autoCreate === false
          ? { namespace: { ...(options.namespaceTemplate ? { template: options.namespaceTemplate } : {}), ...(options.autoCreate === false ? { autoCreate: false } : {}) } }
          : {}),
        ...(options.adminProperty ? { adminProperties: options.adminProperty } : {}),
        deployMode: options.deployMode,
        ...(options.leaseSeconds !== undefined ? { leaseSeconds: options.leaseSeconds } : {}),
        ...(clientMode ? {} : { app: {
          image: options.image,
          mainApplicationFile,
          ...(options.class ? { mainClass: options.class } : {}),
          ...(args.length > 0 ? { args } : {}),
          ...(options.conf ? { conf: options.conf } : {}),
          ...(options.driverCores || options.driverMemory ? { driver: { cores: options.driverCores, memory: options.driverMemory } } : {}),
          ...(options.executors || options.executorCores || options.executorMemory
            ? { executor: { instances: options.executors, cores: options.executorCores, memory: options.executorMemory } } : {}),
        } }),
        ...(options.timeout ? { timeoutSeconds: options.timeout } : {}),
      });
      console.log(`job ${submitted.jobId}${submitted.existing ? ' (already submitted: following it)' : ''}  workflow ${submitted.workflowId}  namespace ${submitted.namespace}`);
      // A client-mode job lives as long as its caller renews the lease: there is nothing to follow here.
      if (options.detach || clientMode) return;
      conclude(await follow(new SparkJobsClient(client, config.taskQueue), submitted.jobId));
    }));

  program.command('status')
    .description('Show a Spark job (JSON), or follow it to its end with --wait.')
    .argument('<jobId>')
    .option('--wait', 'follow the phases until the job has ended')
    .action((jobId: string, options: { wait?: boolean }) => withTemporal(async ({ client }, config) => {
      const jobs = new SparkJobsClient(client, config.taskQueue);
      if (options.wait) {
        conclude(await follow(jobs, jobId));
        return;
      }
      console.log(JSON.stringify(await jobs.status(jobId), null, 2));
    }));

  program.command('logs')
    .description("Print the end of a Spark job's driver log, kept when the job ended.")
    .argument('<jobId>')
    .action((jobId: string) => withTemporal(async ({ client }, config) => {
      // As kept, byte for byte: a script may compare or parse it.
      process.stdout.write(await new SparkJobsClient(client, config.taskQueue).log(jobId));
    }));

  program.command('cancel')
    .description('Cancel a Spark job: its driver is stopped and its identity removed.')
    .argument('<jobId>')
    .option('--reason <text>', 'why, kept in the job status')
    .action((jobId: string, options: { reason?: string }) => withTemporal(async ({ client }, config) => {
      await new SparkJobsClient(client, config.taskQueue).cancel(jobId, { reason: options.reason, by: `starter (${process.env.USER ?? 'unknown user'})` });
      console.log(`cancel requested for job ${jobId}`);
    }));

  const lease = program.command('lease').description("A client-mode Spark job's lease: kubeconfigs of its identity, renewal, end.");

  lease.command('kubeconfig')
    .description("Write a kubeconfig of the job's temporary account (fresh token) to a file of mode 0600; renews the lease.")
    .argument('<jobId>')
    .requiredOption('--output <file>', 'where to write it (replaced whole)')
    .action((jobId: string, options: { output: string }) => withTemporal(async ({ client }, config) => {
      const answer = await leaseKubeconfig(new SparkJobsClient(client, config.taskQueue), jobId);
      await writePrivateFile(options.output, `${JSON.stringify(answer.kubeconfig, null, 2)}\n`);
      console.log(`kubeconfig of ${answer.namespace}/${answer.serviceAccount} written to ${options.output}: token until ${answer.tokenExpiresAt}, lease until ${answer.expiresAt}`);
    }));

  lease.command('renew')
    .description("Renew a client-mode job's lease; prints its new expiry.")
    .argument('<jobId>')
    .action((jobId: string) => withTemporal(async ({ client }, config) => {
      console.log(`lease until ${(await new SparkJobsClient(client, config.taskQueue).renewLease(jobId)).expiresAt}`);
    }));

  lease.command('end')
    .description('End a client-mode job: its identity is removed. Exit code 0 (default): SUCCEEDED; another: FAILED.')
    .argument('<jobId>')
    .option('--exit-code <n>', "the driver's exit code", exitCode)
    .action((jobId: string, options: { exitCode?: number }) => withTemporal(async ({ client }, config) => {
      await new SparkJobsClient(client, config.taskQueue).end(jobId, { exitCode: options.exitCode, by: `starter (${process.env.USER ?? 'unknown user'})` });
      console.log(`end requested for job ${jobId}`);
    }));
}
