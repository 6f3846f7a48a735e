/**
 * Spark job latency and throughput on the embedded stack (real Temporal, control plane, spark-submit):
 *  - identity setup: job accepted (workflow started) → spark-submit started (its activity starts);
 *  - teardown: driver seen ended (watch activity completed) → execution closed: the driver's log
 *    kept, its pod deleted, the identity removed and the user's slot given back;
 *  - throughput: jobs completed per minute, with drivers that exit at once;
 *  - CPU per job of the worker and of submission (spark-submit JVMs, or the Spark submitter's);
 * once per submission mode (SPARK_SUBMIT_MODE), against a baseline issuing the same Kubernetes
 * calls (the same activity functions) directly, without Temporal, in the same run.
 * Usage: npm run bench:spark -- [jobs=100] [inFlight=10] [faultRate=0] [modes=process,submitter]
 * With a fault rate, the worker reaches the API server through the test fault proxy, which answers
 * that share of its requests 500, 503 or 429 (a third each); the run then counts the objects left.
 */
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { join } from 'node:path';
import { createActivities } from '../src/activities/index.js';
import { sparkSubmitProcess } from '../src/activities/spark-submitter.js';
import { ClusterConnector } from '../src/activities/kubernetes/cluster-connector.js';
import { PodWatchHub } from '../src/activities/kubernetes/pod-watch-hub.js';
import { GkeClients } from '../src/activities/gke/client.js';
import { SparkJobsClient } from '../src/client/spark-jobs.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import { emptyClusterPresets } from '../src/domain/cluster-presets.js';
import { kindLabel, managedByLabel, managedByValue, ownershipMarks } from '../src/domain/labels.js';
import { sparkDriverClusterRole, sparkJobNames, type SparkJobInput } from '../src/domain/spark-job.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { localSparkSubmitEnv } from '../src/local/paths.js';
import { meanGapRows } from './history-breakdown.js';
import { runAndMeasure, type JobLatencies } from './job-latencies.js';
import { percentile } from './percentile.js';
import { pool } from './pool.js';
import { cpuSeconds, descendantsMatching, rssMiB } from './process-usage.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { startWorker } from '../src/worker.js';
import { sparkPiApp } from '../test/integration/stack/spark-pi.js';
import { injectErrorRate, seededRandom, startFaultProxy, writeKubeconfigThroughProxy, type FaultProxy } from '../test/fault-proxy/index.js';

const jobs = Number(process.argv[2] ?? 100);
const inFlight = Number(process.argv[3] ?? 10);
const faultRate = Number(process.argv[4] ?? 0);
const modes = (process.argv[5] ?? 'process,submitter').split(',');
const stateDir = join(tmpdir(), `bench-spark-${process.pid}`);

/** A kubeconfig for the worker's own token through a proxy failing `rate` of requests. */
async function faultyKubeconfig(workerKubeconfig: string, dir: string, rate: number): Promise<{ kubeconfig: string; proxy: FaultProxy }> {
  const worker = new KubeConfig();
  worker.loadFromFile(workerKubeconfig);
  const caPem = Buffer.from(worker.getCurrentCluster()?.caData ?? '', 'base64').toString('utf8');
  const proxy = await startFaultProxy({ upstream: worker.getCurrentCluster()?.server ?? '', caPem, random: seededRandom(1) });
  injectErrorRate(proxy, rate);
  const kubeconfig = join(dir, 'faulty-kubeconfig');
  writeKubeconfigThroughProxy(proxy.url, worker.getCurrentUser()?.token ?? '', kubeconfig);
  return { kubeconfig, proxy };
}

/** Pods, service accounts and role bindings of Spark jobs still on the cluster. */
async function leftovers(adminKubeconfig: string): Promise<number> {
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);
  const labelSelector = `${managedByLabel}=${managedByValue},${kindLabel}=spark-job`;
  const core = admin.makeApiClient(CoreV1Api);
  const [pods, accounts, bindings] = await Promise.all([
    core.listPodForAllNamespaces({ labelSelector }), core.listServiceAccountForAllNamespaces({ labelSelector }),
    admin.makeApiClient(RbacAuthorizationV1Api).listRoleBindingForAllNamespaces({ labelSelector }),
  ]);
  return pods.items.length + accounts.items.length + bindings.items.length;
}

const stack = await startLocalStack({ stateDir, ports: await freePorts() });
try {
  const clusters = new ClusterConnector({ local: { kubeconfig: stack.workerKubeconfig } });
  const faulty = faultRate > 0 ? await faultyKubeconfig(stack.workerKubeconfig, stateDir, faultRate) : undefined;
  const configFor = (mode: string) => loadRuntimeConfig({
    TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: `bench-spark-${mode}`, KUBECONFIG_LOCAL: faulty?.kubeconfig ?? stack.workerKubeconfig, ...localSparkSubmitEnv(),
    SPARK_SUBMIT_MODE: mode, CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')), JANITOR_INTERVAL_SECONDS: '0',
  });
  const temporal = await connectTemporal(configFor('process'));
  // Users of their own per mode: each round pays for creating their namespaces.
  const input = (mode: string, index: number): SparkJobInput => ({
    jobId: `${mode}-${index}`, user: `${mode}-user${index % 10}`, cluster: 'local', namespace: `dss-ns-${mode}-user${index % 10}`, autoCreateNamespace: true,
    app: sparkPiApp(0),
  });

  const rounds: Array<{ mode: string; measured: JobLatencies[]; minutes: number; ownCpu: number; submitCpu: number; submitterMiB?: number; leaked: number }> = [];
  for (const mode of modes) {
    const config = configFor(mode);
    const worker = await startWorker(config, pino({ level: 'warn' }));
    const client = new SparkJobsClient(temporal.client, config.taskQueue);
    const submitters = descendantsMatching(process.pid, /SparkSubmitter/);
    const submitterCpu = () => submitters.reduce((sum, pid) => sum + cpuSeconds(pid).own, 0);
    const cpuBefore = cpuSeconds(process.pid);
    const submitterBefore = submitterCpu();
    const started = performance.now();
    const measured = await pool(jobs, inFlight, (index) => runAndMeasure(client, temporal.client, input(mode, index)));
    const minutes = (performance.now() - started) / 60_000;
    const cpuAfter = cpuSeconds(process.pid);
    rounds.push({
      mode, measured, minutes, ownCpu: cpuAfter.own - cpuBefore.own,
      submitCpu: cpuAfter.children - cpuBefore.children + submitterCpu() - submitterBefore,
      ...(submitters[0] !== undefined ? { submitterMiB: rssMiB(submitters[0]) } : {}),
      leaked: await leftovers(stack.kubeconfig),
    });
    await worker.stop();
  }
  const injected = faulty?.proxy.stats();
  faulty?.proxy.clear();

  // Baseline: the same calls, in the same order, straight from this process.
  const podWatches = new PodWatchHub(clusters, (cluster, error) => console.error(`pod watch of ${cluster} broke:`, error));
  const activities = createActivities({ clusters, sparkSubmission: sparkSubmitProcess('spark-submit'), podWatches, temporal: temporal.client, clusterPresets: emptyClusterPresets, gkeClients: new GkeClients(emptyClusterPresets) });
  const core = (await clusters.access('local')).config.makeApiClient(CoreV1Api);
  const baseline = await pool(jobs, inFlight, async (index) => {
    const job = { ...input('baseline', index), jobId: `baseline-${index}` };
    const names = sparkJobNames(job.jobId);
    const owner = { kind: 'spark-job' as const, workflowId: names.workflowId };
    const target = { cluster: 'local', namespace: job.namespace };
    // As the job's workflow runs them: a deletion removes only what that workflow owns.
    const mock = new MockActivityEnvironment({ workflowExecution: { workflowId: names.workflowId, runId: 'baseline' } });
    const t0 = performance.now();
    await activities.ensureNamespace({ ...target, autoCreate: true, ...owner });
    await activities.createServiceAccount({ ...target, name: names.serviceAccount, ...owner });
    await activities.createRoleBinding({ ...target, name: names.roleBinding, clusterRole: sparkDriverClusterRole, serviceAccount: names.serviceAccount, ...owner });
    const setup = performance.now() - t0;
    await core.createNamespacedPod({ namespace: job.namespace, body: { metadata: { name: names.driverPod, labels: { ...ownershipMarks('spark-job', names.workflowId).labels, 'spark-role': 'driver' }, annotations: { ...ownershipMarks('spark-job', names.workflowId).annotations, 'compute-orchestrator/simulate-run-seconds': '0' } }, spec: { containers: [{ name: 'spark-kubernetes-driver', image: 'x' }] } } });
    await mock.run(() => activities.watchPodUntilEnd({ ...target, name: names.driverPod, container: 'spark-kubernetes-driver' }));
    const t1 = performance.now();
    // The workflow keeps the end of the driver's log before deleting its pod, whatever the answer.
    await activities.readPodLogTail({ ...target, name: names.driverPod, container: 'spark-kubernetes-driver' }).catch(() => undefined);
    await mock.run(() => activities.deletePodAndWait({ ...target, name: names.driverPod }));
    await mock.run(() => activities.deleteRoleBinding({ ...target, name: names.roleBinding }));
    await mock.run(() => activities.deleteServiceAccount({ ...target, name: names.serviceAccount }));
    return { setup, teardown: performance.now() - t1 };
  });

  console.log(`${jobs} jobs, ${inFlight} in flight, drivers that end at once\n`);
  console.log('| submission | jobs/min | worker CPU s/job | submission CPU s/job | submitter RSS (MiB) | objects left |\n|---|---|---|---|---|---|');
  for (const round of rounds) {
    console.log(`| ${round.mode} | ${(jobs / round.minutes).toFixed(1)} | ${(round.ownCpu / jobs).toFixed(2)} | ${(round.submitCpu / jobs).toFixed(2)} | ${round.submitterMiB ?? '–'} | ${round.leaked} |`);
  }
  const cell = (values: number[], base: number[], p: number) => `${percentile(values, p).toFixed(0)} (${(percentile(values, p) / percentile(base, p)).toFixed(1)}×)`;
  console.log(`\n| latency (ms), ratio to direct calls | ${rounds.map((round) => round.mode).join(' | ')} | direct calls |\n|---|${rounds.map(() => '---|').join('')}---|`);
  for (const [name, pick] of [['identity setup', (m: { setup: number }) => m.setup], ['teardown', (m: { teardown: number }) => m.teardown]] as const) {
    for (const p of [50, 99]) {
      const base = baseline.map(pick);
      console.log(`| ${name} p${p} | ${rounds.map((round) => cell(round.measured.map(pick), base, p)).join(' | ')} | ${percentile(base, p).toFixed(0)} |`);
    }
  }
  for (const round of rounds) {
    for (const [phase, pick] of [['identity setup', (m: JobLatencies) => m.setupGaps], ['teardown', (m: JobLatencies) => m.teardownGaps]] as const) {
      console.log(`\n| ${round.mode}: where ${phase} time goes, between history events | mean ms per job |\n|---|---|`);
      console.log(meanGapRows(round.measured.map(pick)).join('\n'));
    }
  }
  if (injected) console.log(`\nfaults injected: ${[500, 503, 429].map((code) => `${injected.statuses[code] ?? 0}× ${code}`).join(', ')} of ${injected.received} requests`);
  await faulty?.proxy.stop();
  await podWatches.close();
  await temporal.close();
} finally {
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
