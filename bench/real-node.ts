/**
 * The real node: how long it takes to start, what it costs in memory, and real SparkPi jobs
 * (driver and 2 executors in real containers) end to end and by phase:
 *   accepted → identity ready (role binding created) → driver pod created → driver Running →
 *   executors registered (the driver's log) → driver ended → cleaned up.
 * Pod and job states are sampled every 100 ms; object creations come from the API server's audit
 * log; "executors registered" from the driver's own log lines (1 s resolution).
 * Usage: npm run bench:real-node -- [jobs=5]
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SparkJobsClient } from '../src/client/spark-jobs.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import { sparkJobNames, type SparkJobInput } from '../src/domain/spark-job.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { auditLogName } from '../src/local/control-plane/apiserver.js';
import { nodePaths } from '../src/local/node/settings.js';
import { localSparkSubmitEnv } from '../src/local/paths.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { startWorker } from '../src/worker.js';
import { percentile } from './percentile.js';

const jobs = Number(process.argv[2] ?? 5);
const stateDir = join(tmpdir(), `bench-real-node-${process.pid}`);

/** Proportional set size (shared pages split among their users), MiB; undefined once the process is gone. */
function pssMiB(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n').find((entry) => entry.startsWith('Pss:'))!;
    return Number(line.split(/\s+/)[1]) / 1024;
  } catch {
    return undefined;
  }
}

function shimPids(socket: string): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv[0]!.endsWith('containerd-shim-runc-v2') && argv.includes(socket);
    } catch {
      return false;
    }
  });
}

interface AuditEntry { verb: string; stageTimestamp: string; objectRef?: { resource?: string; namespace?: string; name?: string } }

function createdAt(auditLog: string, resource: string, namespace: string, name: string): number {
  const entry = readFileSync(auditLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as AuditEntry)
    .find((event) => event.verb === 'create' && event.objectRef?.resource === resource && event.objectRef.namespace === namespace && event.objectRef.name === name);
  return entry ? Date.parse(entry.stageTimestamp) : Number.NaN;
}

/** Spark's log lines start `yy/MM/dd HH:mm:ss`; the last executor registration, in ms (UTC). */
function executorsRegisteredAt(log: string): number {
  const lines = log.split('\n').filter((line) => line.includes('Registered executor'));
  const stamp = /^(\d\d)\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d)/.exec(lines.at(-1) ?? '');
  return stamp ? Date.parse(`20${stamp[1]}-${stamp[2]}-${stamp[3]}T${stamp[4]}Z`) : Number.NaN;
}

const phases = ['identity ready', 'driver pod created', 'driver Running', 'executors registered', 'driver ended', 'cleaned up'] as const;

const startedStack = performance.now();
let nodeUp = '';
const stack = await startLocalStack({ stateDir, ports: await freePorts(), report: (message) => {
  if (message.startsWith('real node')) nodeUp = message;
} });
const stackSeconds = (performance.now() - startedStack) / 1000;
try {
  if (!stack.realNode) throw new Error(`no real node: ${stack.kwokOnlyReason}`);
  const paths = nodePaths(stateDir);
  console.log(`stack with the real node up in ${stackSeconds.toFixed(1)} s (images imported into a fresh containerd); ${nodeUp}`);
  const taskQueue = 'bench-real-node';
  const config = loadRuntimeConfig({
    TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: taskQueue, KUBECONFIG_LOCAL: stack.workerKubeconfig,
    ...localSparkSubmitEnv(), CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')),
  });
  const worker = await startWorker(config, pino({ level: 'warn' }));
  const temporal = await connectTemporal(config);
  const client = new SparkJobsClient(temporal.client, taskQueue);
  const admin = new KubeConfig();
  admin.loadFromFile(stack.kubeconfig);
  const core = admin.makeApiClient(CoreV1Api);

  const offsets: Record<string, number[]> = Object.fromEntries(phases.map((phase) => [phase, []]));
  let peakShims = 0;
  const shimPss: number[] = [];
  for (let index = 0; index < jobs; index++) {
    const user = `bench${index}`;
    const input: SparkJobInput = {
      jobId: `real-pi-${index}`, user, cluster: 'local', namespace: `dss-ns-${user}`, autoCreateNamespace: true,
      app: {
        image: 'apache/spark:4.0.1', mainClass: 'org.apache.spark.examples.SparkPi', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar',
        args: ['20'], driver: { memory: '512m' }, executor: { instances: 2, memory: '512m' },
        conf: { 'spark.kubernetes.driver.request.cores': '250m', 'spark.kubernetes.executor.request.cores': '250m' },
      },
    };
    const names = sparkJobNames(input.jobId);
    await client.start(input);
    const accepted = Date.now();
    const seen: Record<string, number> = {};
    let log = '';
    while (seen['cleaned up'] === undefined) {
      const driver = await core.readNamespacedPod({ name: names.driverPod, namespace: input.namespace }).catch(() => undefined);
      if (driver?.status?.phase === 'Running') seen['driver Running'] ??= Date.now();
      if (['Succeeded', 'Failed'].includes(driver?.status?.phase ?? '')) {
        seen['driver ended'] ??= Date.now();
        // The workflow deletes the pod right after: what it kept is read below instead.
        log ||= await core.readNamespacedPodLog({ name: names.driverPod, namespace: input.namespace }).catch(() => '');
      }
      const shims = shimPids(paths.containerdSocket);
      peakShims = Math.max(peakShims, shims.length);
      for (const pss of shims.map(pssMiB)) if (pss !== undefined) shimPss.push(pss);
      const status = await client.status(input.jobId);
      if (status.cleanedUp) {
        if (status.phase !== 'SUCCEEDED') throw new Error(`${input.jobId} ended ${status.phase}: ${status.error}`);
        seen['cleaned up'] = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const auditLog = join(stack.logDir, auditLogName);
    seen['identity ready'] = createdAt(auditLog, 'rolebindings', input.namespace, names.roleBinding);
    seen['driver pod created'] = createdAt(auditLog, 'pods', input.namespace, names.driverPod);
    seen['executors registered'] = executorsRegisteredAt(log || await client.log(input.jobId));
    for (const phase of phases) offsets[phase]!.push(seen[phase]! - accepted);
    console.log(`${input.jobId}: ${phases.map((phase) => `${phase} +${((seen[phase]! - accepted) / 1000).toFixed(1)}s`).join(', ')}`);
  }

  console.log(`\n${jobs} real SparkPi jobs (driver + 2 executors, one job at a time)\n`);
  console.log('| phase | p50 since accepted (s) | p50 of the step (s) |\n|---|---|---|');
  let previous: number[] = new Array<number>(jobs).fill(0);
  for (const phase of phases) {
    const values = offsets[phase]!;
    console.log(`| ${phase} | ${(percentile(values, 50) / 1000).toFixed(1)} | ${(percentile(values.map((value, index) => value - previous[index]!), 50) / 1000).toFixed(1)} |`);
    previous = values;
  }

  const components = stack.processes.filter((process) => ['containerd', 'kubelet', 'kube-proxy', 'coredns'].includes(process.name));
  console.log('\n| component | PSS (MiB) |\n|---|---|');
  for (const component of components) console.log(`| ${component.name} | ${pssMiB(component.pid!)?.toFixed(0)} |`);
  console.log(`| containerd-shim, per pod (p50 while jobs ran; up to ${peakShims} at once) | ${percentile(shimPss, 50).toFixed(1)} |`);
  await worker.stop();
  await temporal.close();
} finally {
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
