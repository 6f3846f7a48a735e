/**
 * Kernel launch overhead on the embedded stack (real Temporal, control plane, kwok):
 *  - accepted → pod created: POST /v1/kernels answered → the pod's ADDED event on a watch;
 *  - pod Running → session RUNNING: the watch sees the pod Running → the session records it
 *    (its `progress` step, workflow time);
 *  - where the time from the workflow's start to its launch activity's start went, between the
 *    events of its history, and from that activity's start to the pod's ADDED event;
 * p50/p99 over N launches, `inFlight` at a time; each kernel is shut down after it runs.
 * Usage: npm run bench:kernels -- [launches=100] [inFlight=10]
 */
import { KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '../src/api/app.js';
import { hashToken, TokenRegistry } from '../src/api/auth.js';
import { apiDeps } from '../src/api/deps.js';
import { KernelsClient } from '../src/client/kernels.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import { timestampMillis } from '../src/client/timestamps.js';
import { kernelWorkflowId } from '../src/domain/workflow-ids.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { localSparkSubmitEnv } from '../src/local/paths.js';
import { meanGapRows, timeUntilActivityStarted } from './history-breakdown.js';
import { percentile } from './percentile.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { writeKernelSpecs } from '../test/integration/stack/simulated-kernels.js';
import { startWorker } from '../src/worker.js';

const launches = Number(process.argv[2] ?? 100);
const inFlight = Number(process.argv[3] ?? 10);
const stateDir = join(tmpdir(), `bench-kernels-${process.pid}`);
const token = 'bench-token';

const stack = await startLocalStack({ stateDir, ports: await freePorts() });
try {
  const config = loadRuntimeConfig({
    TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: 'bench-kernels', KUBECONFIG_LOCAL: stack.workerKubeconfig, ...localSparkSubmitEnv(),
    CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')),
    // Kernels on the kwok node: thousands of them, and their images are not on the real node.
    KERNEL_SPECS_FILE: writeKernelSpecs(stateDir, 'kernel-specs-simulated'),
    // One user holds every kernel in flight: the per-user limit (10 by default) is not what this measures.
    KERNEL_MAX_PER_USER: '0',
  });
  const worker = await startWorker(config);
  const temporal = await connectTemporal(config);
  const api = await buildApi(apiDeps(config, temporal, new TokenRegistry({ tokens: [{ name: 'bench', sha256: hashToken(token), scopes: ['*'] }] }), pino({ level: 'silent' })));
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  const kernels = new KernelsClient(temporal.client, config.taskQueue);

  const added = new Map<string, number>();
  const running = new Map<string, number>();
  const kube = new KubeConfig();
  kube.loadFromFile(stack.kubeconfig);
  const watch = await new Watch(kube).watch('/api/v1/pods', { labelSelector: 'component=kernel' }, (type: string, pod: V1Pod) => {
    const name = pod.metadata?.name ?? '';
    if (type === 'ADDED' && !added.has(name)) added.set(name, Date.now());
    if (pod.status?.phase === 'Running' && pod.status.podIP && !running.has(name)) running.set(name, Date.now());
  }, () => undefined);

  const call = (method: string, path: string, body?: unknown) => fetch(`${url}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  const toCreate: number[] = [];
  const toReport: number[] = [];
  const setupGaps: Array<Map<string, number>> = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < launches) {
      const kernelId = `bench-${next++}`;
      const response = await call('POST', '/v1/kernels', { kernelId, user: 'bench' });
      const accepted = Date.now();
      if (response.status !== 202) throw new Error(`POST /v1/kernels: ${response.status} ${await response.text()}`);
      let status = await kernels.status(kernelId);
      while (status.phase === 'STARTING') {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = await kernels.status(kernelId);
      }
      const steps = await kernels.progress(kernelId);
      const reported = Date.parse(steps.find((step) => step.step.startsWith('pod running'))!.at);
      toCreate.push(added.get(status.pod)! - accepted);
      toReport.push(reported - running.get(status.pod)!);
      const { events } = await temporal.client.workflow.getHandle(kernelWorkflowId(kernelId)).fetchHistory();
      const setup = timeUntilActivityStarted(events ?? [], 'launchKernel');
      setup.gaps.set('launch activity started → pod created (watch)', added.get(status.pod)! - timestampMillis(events![0]!.eventTime) - setup.total);
      setupGaps.push(setup.gaps);
      await call('DELETE', `/v1/kernels/${kernelId}`);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  console.log(`${launches} launches, ${inFlight} in flight, ${seconds.toFixed(0)} s\n`);
  console.log('| latency (ms) | p50 | p99 |\n|---|---|---|');
  console.log(`| accepted → pod created | ${percentile(toCreate, 50)} | ${percentile(toCreate, 99)} |`);
  console.log(`| pod Running → session RUNNING | ${percentile(toReport, 50)} | ${percentile(toReport, 99)} |`);
  console.log('\n| workflow started → pod created, between history events | mean ms per kernel |\n|---|---|');
  console.log(meanGapRows(setupGaps).join('\n'));
  watch.abort();
  await api.close();
  await worker.stop();
  await temporal.close();
} finally {
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
