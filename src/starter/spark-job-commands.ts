import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { SparkJobsClient } from '../client/spark-jobs.js';
import { submitSparkJob } from '../client/submit-spark-job.js';
import type { SparkJobStatus } from '../domain/spark-job.js';
import { withTemporal } from './connection.js';
import { keyValue, positiveInteger } from './options.js';

interface SubmitOptions {
  user: string;
  image: string;
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

function conclude(status: SparkJobStatus): void {
  if (status.exitCode !== undefined) console.log(`driver exit code: ${status.exitCode}`);
  if (status.error) console.log(`error: ${status.error}`);
  process.exitCode = exitCodes[status.phase] ?? 1;
}

export function registerSparkJobCommands(program: Command): void {
  program.command('submit')
    .description('Submit a Spark job and follow its phases until it has ended (unless --detach).')
    .argument('<mainApplicationFile>', 'local:// path in the image, or a remote URL')
    .argument('[args...]', 'arguments of the application')
    .requiredOption('--user <login>', 'DSS login of the user the job runs for')
    .requiredOption('--image <image>', 'container image of driver and executors')
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
    .action((mainApplicationFile: string, args: string[], options: SubmitOptions) => withTemporal(async ({ client }, config) => {
      const submitted = await submitSparkJob({
        temporal: client, taskQueue: config.taskQueue, orchestratorNamespace: config.orchestratorNamespace, maxInFlightPerUser: config.sparkMaxInFlightPerUser,
      }, {
        ...(options.jobId ? { jobId: options.jobId } : {}),
        user: options.user,
        cluster: options.cluster,
        ...(options.namespaceTemplate || options.autoCreate === false
          ? { namespace: { ...(options.namespaceTemplate ? { template: options.namespaceTemplate } : {}), ...(options.autoCreate === false ? { autoCreate: false } : {}) } }
          : {}),
        ...(options.adminProperty ? { adminProperties: options.adminProperty } : {}),
        app: {
          image: options.image,
          mainApplicationFile,
          ...(options.class ? { mainClass: options.class } : {}),
          ...(args.length > 0 ? { args } : {}),
          ...(options.conf ? { conf: options.conf } : {}),
          ...(options.driverCores || options.driverMemory ? { driver: { cores: options.driverCores, memory: options.driverMemory } } : {}),
          ...(options.executors || options.executorCores || options.executorMemory
            ? { executor: { instances: options.executors, cores: options.executorCores, memory: options.executorMemory } } : {}),
        },
        ...(options.timeout ? { timeoutSeconds: options.timeout } : {}),
      });
      console.log(`job ${submitted.jobId}${submitted.existing ? ' (already submitted: following it)' : ''}  workflow ${submitted.workflowId}  namespace ${submitted.namespace}`);
      if (options.detach) return;
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
}
