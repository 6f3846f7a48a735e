/**
 * Node pool resizes against the local GKE API (real ClusterManagerClient, real worker, real
 * Temporal and control plane), one cluster, resizes one after the other, for several poll
 * intervals:
 *  - GKE API calls per resize (SetNodePoolSize, the look for one already under way, operation reads);
 *  - lag between the operation's end (its `endTime`) and the workflow recording the resize DONE
 *    (the operation's `endedAt` in the cluster's status). Operations last `operationSeconds` plus
 *    a random share of the longest interval, so their ends fall anywhere between two polls.
 * Usage: npm run bench:node-pools -- [resizesPerInterval=5] [operationSeconds=10] [intervalsMs=500,2000,5000]
 */
import { v1 } from '@google-cloud/container';
import { credentials } from '@grpc/grpc-js';
import { pino } from 'pino';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClustersClient } from '../src/client/clusters.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { startLocalGkeApi } from '../src/local/gke-simulator-setup.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { localSparkSubmitEnv } from '../src/local/paths.js';
import { startWorker } from '../src/worker.js';
import { percentile } from './percentile.js';

const perInterval = Number(process.argv[2] ?? 5);
const operationSeconds = Number(process.argv[3] ?? 10);
const intervals = (process.argv[4] ?? '500,2000,5000').split(',').map(Number);
const stateDir = join(tmpdir(), `bench-node-pools-${process.pid}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stack = await startLocalStack({ stateDir, ports: await freePorts(), report: () => undefined });
const gkeApi = await startLocalGkeApi(stack.kubeconfig, stateDir, { operationSeconds, operationJitterSeconds: Math.max(...intervals) / 1000 }, { info: () => undefined });
const [host, port] = gkeApi.simulator.address.split(':') as [string, string];
const reader = new v1.ClusterManagerClient({ apiEndpoint: host, port: Number(port), sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com' });
const parent = 'projects/local-simulator/locations/europe-west1';
try {
  console.log(`${perInterval} resizes per poll interval, one after the other, operations of ${operationSeconds} s\n`);
  console.log('| poll interval | GKE calls per resize | lag p50 (ms) | lag max (ms) | request → DONE p50 (s) |\n|---|---|---|---|---|');
  for (const pollMs of intervals) {
    const config = loadRuntimeConfig({
    ...localSparkSubmitEnv(),
      TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: `bench-node-pools-${pollMs}`, KUBECONFIG_LOCAL: stack.workerKubeconfig,
      CLUSTER_PRESETS_FILE: gkeApi.presetsFile, GKE_POLL_INTERVAL_MS: String(pollMs), CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')),
    });
    const worker = await startWorker(config, pino({ level: 'silent' }));
    const temporal = await connectTemporal(config);
    const clusters = new ClustersClient(temporal.client, config.taskQueue);
    const name = `bench-pools-${pollMs}`;
    await clusters.create({ name, provider: 'gke', gke: { connection: 'simulator', nodePools: { small: { machineType: 'e2-standard-4', nodeCount: 1 } } } }, 'bench');
    while ((await clusters.status(name)).phase === 'PROVISIONING') await sleep(200);

    let calls = 0;
    const lags: number[] = [];
    const toDone: number[] = [];
    for (let index = 0; index < perInterval; index++) {
      const started = Date.now();
      const callsBefore = gkeApi.simulator.calls().length;
      const requested = await clusters.resizeNodePool(name, { pool: 'small', nodeCount: 2 + (index % 2), by: 'bench' });
      let ended: string | undefined;
      while (!(ended = (await clusters.status(name)).nodePoolOperations?.find((operation) => operation.id === requested.id && operation.state === 'DONE')?.endedAt)) await sleep(100);
      toDone.push((Date.now() - started) / 1000);
      // Counted before the bench's own look at the operations below.
      calls += gkeApi.simulator.calls().length - callsBefore;
      const [{ operations }] = await reader.listOperations({ parent });
      const resize = (operations ?? []).filter((operation) => operation.operationType === 'SET_NODE_POOL_SIZE' && operation.targetLink?.includes(`/clusters/${name}/`)).at(-1)!;
      lags.push(Date.parse(ended) - Date.parse(String(resize.endTime)));
    }
    console.log(`| ${pollMs} ms | ${(calls / perInterval).toFixed(1)} | ${percentile(lags, 50)} | ${Math.max(...lags)} | ${percentile(toDone, 50).toFixed(1)} |`);
    await clusters.destroy(name, { by: 'bench' });
    while ((await clusters.status(name)).phase !== 'DELETED') await sleep(500);
    await temporal.close();
    await worker.stop();
  }
} finally {
  await reader.close();
  await gkeApi.simulator.stop();
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
