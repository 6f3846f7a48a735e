/**
 * One worker versus two, on the production-shaped Temporal (go.temporal.io/server on PostgreSQL)
 * and the embedded Kubernetes control plane, in one run: Spark jobs completed per minute and the
 * identity setup latency (job accepted → spark-submit started) of the same batch of SparkPi jobs,
 * each worker a process of its own as deployed; with how busy the machine was and where the CPU
 * went (the workers themselves, and the spark-submit JVMs they ran), which says what limits it.
 * Usage: npm run bench:workers -- [jobs=40] [inFlight=10]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkHealth } from '../src/client/health.js';
import { SparkJobsClient } from '../src/client/spark-jobs.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import type { SparkJobInput } from '../src/domain/spark-job.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { localSparkSubmitEnv, repoRoot } from '../src/local/paths.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { startPostgresBackedTemporal } from '../src/local/temporal-on-postgres.js';
import { runAndMeasure } from './job-latencies.js';
import { sparkPiApp } from '../test/integration/stack/spark-pi.js';
import { percentile } from './percentile.js';
import { cpuSeconds, descendantsMatching } from './process-usage.js';
import { pool } from './pool.js';

const jobs = Number(process.argv[2] ?? 40);
const inFlight = Number(process.argv[3] ?? 10);
const stateDir = join(tmpdir(), `bench-workers-${process.pid}`);
const logDir = join(stateDir, 'logs');
mkdirSync(logDir, { recursive: true });

/** Jiffies the whole machine spent busy and in all, from /proc/stat: how loaded a round kept it. */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

const stack = await startLocalStack({ stateDir: join(stateDir, 'stack'), ports: await freePorts() });
const temporal = await startPostgresBackedTemporal(join(stateDir, 'postgres-temporal'), logDir);
try {
  const env = {
    TEMPORAL_ADDRESS: temporal.address, KUBECONFIG_LOCAL: stack.workerKubeconfig, ...localSparkSubmitEnv(),
    CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')), JANITOR_INTERVAL_SECONDS: '0',
  };
  const config = loadRuntimeConfig(env);
  const client = await connectTemporal(config);
  const rows: string[] = [];
  for (const workerCount of [1, 2]) {
    const taskQueue = `bench-workers-${workerCount}`;
    const workers: ChildProcess[] = Array.from({ length: workerCount }, (_, index) => {
      const child = spawn(process.execPath, [join(repoRoot, 'dist', 'worker.js')], { env: { ...process.env, ...env, TEMPORAL_TASK_QUEUE: taskQueue }, stdio: ['ignore', 'pipe', 'pipe'] });
      const log = createWriteStream(join(logDir, `${taskQueue}-${index}.log`));
      child.stdout.pipe(log);
      child.stderr.pipe(log);
      return child;
    });
    while ((await checkHealth(client, taskQueue)).worker.pollers < workerCount) await sleep(200);
    const jobsClient = new SparkJobsClient(client.client, taskQueue);
    // Users of their own per round: both rounds pay for creating their namespaces.
    const input = (index: number): SparkJobInput => ({
      jobId: `w${workerCount}-${index}`, user: `w${workerCount}-user${index % 10}`, cluster: 'local', namespace: `dss-ns-w${workerCount}-user${index % 10}`, autoCreateNamespace: true,
      app: sparkPiApp(0),
    });
    const started = performance.now();
    const ticksBefore = machineTicks();
    const measured = await pool(jobs, inFlight, (index) => runAndMeasure(jobsClient, client.client, input(index)));
    const minutes = (performance.now() - started) / 60_000;
    const ticksAfter = machineTicks();
    const busy = (ticksAfter.busy - ticksBefore.busy) / (ticksAfter.total - ticksBefore.total);
    const cpu = workers.map((worker) => cpuSeconds(worker.pid!));
    const own = cpu.reduce((sum, c) => sum + c.own, 0);
    // spark-submit JVMs the workers waited for, or their Spark submitters (alive until the workers stop).
    const submitters = workers.flatMap((worker) => descendantsMatching(worker.pid!, /SparkSubmitter/));
    const children = cpu.reduce((sum, c) => sum + c.children, 0) + submitters.reduce((sum, pid) => sum + cpuSeconds(pid).own, 0);
    const setups = measured.map((m) => m.setup);
    rows.push(`| ${workerCount} | ${(jobs / minutes).toFixed(1)} | ${percentile(setups, 50).toFixed(0)} | ${percentile(setups, 99).toFixed(0)} | ${(busy * 100).toFixed(0)}% | ${(own / jobs).toFixed(2)} | ${(children / jobs).toFixed(2)} |`);
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((worker) => once(worker, 'exit')));
  }
  console.log(`${jobs} SparkPi jobs, ${inFlight} in flight, Temporal ${temporal.address} on PostgreSQL\n`);
  console.log('| workers | jobs/min | setup p50 (ms) | setup p99 (ms) | machine busy | worker CPU s/job | submission CPU s/job |\n|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  await client.close();
} finally {
  await temporal.stop();
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
