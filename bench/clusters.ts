/**
 * GKE cluster creation against the local GKE API (real ClusterManagerClient, real worker, real
 * Temporal and control plane), for several poll intervals:
 *  - GKE API calls per cluster created (create, operation reads, cluster reads);
 *  - lag between the operation's end (its `endTime`) and the workflow noticing it (the wait
 *    activity's completion in the history). Operations last `operationSeconds` plus a random
 *    share of the longest interval, so their ends fall anywhere between two polls.
 * Usage: npm run bench:clusters -- [clustersPerInterval=5] [operationSeconds=20] [intervalsMs=500,2000,5000]
 */
import { v1 } from '@google-cloud/container';
import { credentials } from '@grpc/grpc-js';
import { pino } from 'pino';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClustersClient } from '../src/client/clusters.js';
import { connectTemporal } from '../src/client/temporal.js';
import { timestampMillis } from '../src/client/timestamps.js';
import { loadRuntimeConfig } from '../src/config.js';
import { clusterWorkflowId } from '../src/domain/workflow-ids.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { startLocalGkeApi } from '../src/local/gke-simulator-setup.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { localSparkSubmitEnv } from '../src/local/paths.js';
import { startWorker } from '../src/worker.js';
import { percentile } from './percentile.js';

const perInterval = Number(process.argv[2] ?? 5);
const operationSeconds = Number(process.argv[3] ?? 20);
const intervals = (process.argv[4] ?? '500,2000,5000').split(',').map(Number);
const stateDir = join(tmpdir(), `bench-clusters-${process.pid}`);

const stack = await startLocalStack({ stateDir, ports: await freePorts() });
const gkeApi = await startLocalGkeApi(stack.kubeconfig, stateDir, { operationSeconds, operationJitterSeconds: Math.max(...intervals) / 1000 }, { info: () => undefined });
const [host, port] = gkeApi.simulator.address.split(':') as [string, string];
const reader = new v1.ClusterManagerClient({ apiEndpoint: host, port: Number(port), sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com' });

/** The create operation of a cluster: among the operations the worker read, the one targeting it. */
async function createOperationOf(cluster: string, sinceCall: number): Promise<string> {
  const read = new Set(gkeApi.simulator.calls().slice(sinceCall).filter((call) => call.method === 'GetOperation').map((call) => call.resource));
  for (const name of read) {
    const [operation] = await reader.getOperation({ name });
    if (operation.operationType === 'CREATE_CLUSTER' && operation.targetLink?.endsWith(`/clusters/${cluster}`)) return name;
  }
  throw new Error(`no create operation read for ${cluster}`);
}
try {
  console.log(`${perInterval} clusters per poll interval, operations of ${operationSeconds} s\n`);
  console.log('| poll interval | GKE calls per cluster | lag p50 (ms) | lag max (ms) | create → RUNNING p50 (s) |\n|---|---|---|---|---|');
  for (const pollMs of intervals) {
    const config = loadRuntimeConfig({
    ...localSparkSubmitEnv(),
      TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: `bench-clusters-${pollMs}`, KUBECONFIG_LOCAL: stack.workerKubeconfig,
      CLUSTER_PRESETS_FILE: gkeApi.presetsFile, GKE_POLL_INTERVAL_MS: String(pollMs), CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')),
    });
    const worker = await startWorker(config, pino({ level: 'silent' }));
    const temporal = await connectTemporal(config);
    const clusters = new ClustersClient(temporal.client, config.taskQueue);
    const callsBefore = gkeApi.simulator.calls().length;
    const names = Array.from({ length: perInterval }, (_, index) => `bench-${pollMs}-${index}`);
    const lags: number[] = [];
    const toRunning: number[] = [];
    await Promise.all(names.map(async (name) => {
      const started = Date.now();
      await clusters.create({ name, provider: 'gke', gke: { connection: 'simulator', nodePools: { small: { machineType: 'e2-standard-4', nodeCount: 1 } } } }, 'bench');
      while ((await clusters.status(name)).phase === 'PROVISIONING') await new Promise((resolve) => setTimeout(resolve, 200));
      toRunning.push((Date.now() - started) / 1000);
      const history = await temporal.client.workflow.getHandle(clusterWorkflowId(name)).fetchHistory();
      const events = history.events ?? [];
      const scheduled = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'waitForGkeOperation')!;
      const [read] = await reader.getOperation({ name: await createOperationOf(name, callsBefore) });
      const completed = events.find((event) => event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString());
      lags.push(timestampMillis(completed?.eventTime) - Date.parse(String(read.endTime)));
    }));
    const calls = gkeApi.simulator.calls().length - callsBefore;
    console.log(`| ${pollMs} ms | ${(calls / perInterval).toFixed(1)} | ${percentile(lags, 50)} | ${Math.max(...lags)} | ${percentile(toRunning, 50).toFixed(1)} |`);
    await Promise.all(names.map((name) => clusters.destroy(name, { by: 'bench' })));
    for (const name of names) while ((await clusters.status(name)).phase !== 'DELETED') await new Promise((resolve) => setTimeout(resolve, 500));
    await temporal.close();
    await worker.stop();
  }
} finally {
  await reader.close();
  await gkeApi.simulator.stop();
  await stack.stop();
}
