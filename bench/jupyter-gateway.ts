/**
 * Kernels through the gateway API on the real node:
 * - launch: `POST /api/kernels` until it answers (the kernel answered a kernel_info_request),
 *   against the time its pod reached Running (the pod sampled every 50 ms), one launch at a time;
 * - an `execute_request` round trip (`pass`, reply and the kernel idle again) through the API's
 *   WebSocket bridge, against the same kernel reached directly over ZeroMQ.
 * Usage: npm run bench:jupyter -- [launches=10] [roundTrips=300]
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '../src/api/app.js';
import { hashToken, TokenRegistry } from '../src/api/auth.js';
import { apiDeps } from '../src/api/deps.js';
import { readKernelConnection } from '../src/activities/kubernetes/kernel-connection-secret.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import { KernelClient } from '../src/jupyter/kernel-client.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { writeLocalKernelSpecs } from '../src/local/kernel-specs.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { localSparkSubmitEnv } from '../src/local/paths.js';
import { startWorker } from '../src/worker.js';
import { KernelChannels } from '../test/integration/stack/jupyter-client.js';
import { percentile } from './percentile.js';

const launches = Number(process.argv[2] ?? 10);
const roundTrips = Number(process.argv[3] ?? 300);
const stateDir = join(tmpdir(), `bench-jupyter-${process.pid}`);
const token = 'bench-jupyter-token';

const summary = (values: number[]): string => `p50 ${percentile(values, 50).toFixed(1)}, p99 ${percentile(values, 99).toFixed(1)}`;

const stack = await startLocalStack({ stateDir, ports: await freePorts(), report: () => undefined });
try {
  if (!stack.realNode || !stack.kernelResponseHost) throw new Error(`no real node: ${stack.kwokOnlyReason}`);
  const config = loadRuntimeConfig({
    ...localSparkSubmitEnv(),
    TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: 'bench-jupyter', KUBECONFIG_LOCAL: stack.workerKubeconfig,
    CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')), KERNEL_RESPONSE_HOST: stack.kernelResponseHost,
    KERNEL_SPECS_FILE: writeLocalKernelSpecs(join(stateDir, 'kernel-specs.json'), true), KERNEL_MAX_PER_USER: '0',
  });
  const worker = await startWorker(config, pino({ level: 'warn' }));
  const temporal = await connectTemporal(config);
  const tokens = new TokenRegistry({ tokens: [{ name: 'bench', sha256: hashToken(token), scopes: ['*'] }] });
  const api = await buildApi(apiDeps(config, temporal, tokens, pino({ level: 'warn' })));
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${url}${path}`, {
      method, headers: { authorization: `token ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  };
  const admin = new KubeConfig();
  admin.loadFromFile(stack.kubeconfig);
  const core = admin.makeApiClient(CoreV1Api);

  const ready: number[] = [];
  const podRunning: number[] = [];
  const kernels: string[] = [];
  for (let index = 0; index < launches; index++) {
    const user = `bench${index}`;
    const started = performance.now();
    let running: number | undefined;
    let answered = false;
    const sampling = (async () => {
      while (!answered && running === undefined) {
        const { items } = await core.listPodForAllNamespaces({ labelSelector: 'component=kernel' });
        if (items.some((pod) => pod.metadata?.namespace?.startsWith(`${user}-`) && pod.status?.phase === 'Running')) running = performance.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const model = await call('POST', '/api/kernels', { name: 'python3', env: { KERNEL_USERNAME: user } }) as { id: string };
    ready.push(performance.now() - started);
    answered = true;
    await sampling;
    podRunning.push(running ?? Number.NaN);
    kernels.push(model.id);
    console.log(`launch ${index + 1}: pod Running ${((running ?? Number.NaN) / 1000).toFixed(2)} s, kernel ready ${(ready.at(-1)! / 1000).toFixed(2)} s`);
  }
  const afterRunning = ready.map((value, index) => value - podRunning[index]!);

  const kernelId = kernels[0]!;
  const channels = await KernelChannels.open(url, kernelId, token);
  const throughGateway: number[] = [];
  for (let index = 0; index < roundTrips; index++) {
    const sent = performance.now();
    await channels.execute('pass');
    throughGateway.push(performance.now() - sent);
  }
  channels.close();
  const status = await call('GET', `/v1/kernels/${kernelId}`) as { namespace: string; pod: string; podIP: string };
  const info = await readKernelConnection(core, { namespace: status.namespace, podName: status.pod });
  const direct = KernelClient.connect(info!, status.podIP);
  await direct.ready(30_000);
  const overZeroMq: number[] = [];
  for (let index = 0; index < roundTrips; index++) {
    const sent = performance.now();
    await direct.request('shell', 'execute_request', { code: 'pass', silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true }, 30_000);
    overZeroMq.push(performance.now() - sent);
  }
  direct.close();

  console.log(`\n${launches} launches on the real node, one at a time (ms)\n`);
  console.log('| step | p50 | p99 |\n|---|---|---|');
  console.log(`| request → pod Running | ${percentile(podRunning, 50).toFixed(0)} | ${percentile(podRunning, 99).toFixed(0)} |`);
  console.log(`| request → kernel ready (kernel_info_reply; the API answers) | ${percentile(ready, 50).toFixed(0)} | ${percentile(ready, 99).toFixed(0)} |`);
  console.log(`| pod Running → kernel ready | ${percentile(afterRunning, 50).toFixed(0)} | ${percentile(afterRunning, 99).toFixed(0)} |`);
  console.log(`\nexecute_request round trip, ${roundTrips} in a row (ms): through the gateway ${summary(throughGateway)}; ZeroMQ direct ${summary(overZeroMq)}; ratio of p50s ${(percentile(throughGateway, 50) / percentile(overZeroMq, 50)).toFixed(2)}`);

  for (const id of kernels) await call('DELETE', `/api/kernels/${id}`);
  for (const id of kernels) {
    while (!(await call('GET', `/v1/kernels/${id}`) as { cleanedUp: boolean }).cleanedUp) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await api.close();
  await worker.stop();
  await temporal.close();
} finally {
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
