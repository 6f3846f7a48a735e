/**
 * Terminate → cleanup by the janitor, on the embedded stack (real Temporal, control plane, worker):
 * N kernels are started, then all terminated by hand (Temporal runs no workflow code); the
 * janitor's Schedule (every `interval` s, grace `grace` s) removes what they left. Reported: the
 * time from terminate to each kernel's namespace gone, and the sweeps' own durations.
 * Usage: npm run bench:janitor -- [kernels=20] [intervalSeconds=30] [graceSeconds=10]
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JanitorClient } from '../src/client/janitor.js';
import { kernelContext } from '../src/client/kernel-catalog.js';
import { toKernelSessionInput } from '../src/client/kernel-request.js';
import { KernelsClient } from '../src/client/kernels.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import { janitorScheduleId } from '../src/domain/janitor.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { writeKernelSpecs } from '../test/integration/stack/simulated-kernels.js';
import { localSparkSubmitEnv } from '../src/local/paths.js';
import { startWorker } from '../src/worker.js';
import { percentile } from './percentile.js';
import { pool } from './pool.js';

const count = Number(process.argv[2] ?? 20);
const intervalSeconds = Number(process.argv[3] ?? 30);
const graceSeconds = Number(process.argv[4] ?? 10);
const stateDir = join(tmpdir(), `bench-janitor-${process.pid}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stack = await startLocalStack({ stateDir, ports: await freePorts() });
try {
  const config = loadRuntimeConfig({
    ...localSparkSubmitEnv(),
    TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: 'bench-janitor', KUBECONFIG_LOCAL: stack.workerKubeconfig,
    CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')),
    // Kernels on the kwok node: thousands of them, and their images are not on the real node.
    KERNEL_SPECS_FILE: writeKernelSpecs(stateDir, 'kernel-specs-simulated'),
    JANITOR_INTERVAL_SECONDS: String(intervalSeconds), JANITOR_GRACE_SECONDS: String(graceSeconds), KERNEL_MAX_PER_USER: '0',
  });
  const worker = await startWorker(config, pino({ level: 'silent' }));
  const temporal = await connectTemporal(config);
  const kernels = new KernelsClient(temporal.client, config.taskQueue);
  const context = kernelContext(config);
  const admin = new KubeConfig();
  admin.loadFromFile(stack.kubeconfig);
  const core = admin.makeApiClient(CoreV1Api);

  const inputs = Array.from({ length: count }, (_, index) => toKernelSessionInput({ kernelId: `janitor-${index}`, user: 'bench' }, context));
  await pool(count, 10, async (index) => {
    await kernels.start(inputs[index]!);
    while ((await kernels.status(inputs[index]!.plan.kernelId)).phase !== 'RUNNING') await sleep(200);
  });
  const terminatedAt = Date.now();
  await Promise.all(inputs.map((input) => temporal.client.workflow.getHandle(input.plan.workflowId).terminate('bench: terminated by hand')));
  const gone: number[] = [];
  await Promise.all(inputs.map(async ({ plan }) => {
    for (;;) {
      const exists = await core.readNamespace({ name: plan.namespace }).then(() => true, () => false);
      if (!exists) break;
      await sleep(250);
    }
    gone.push((Date.now() - terminatedAt) / 1000);
  }));
  const report = await new JanitorClient(temporal.client, config.taskQueue).lastReport();
  console.log(`${count} kernels terminated by hand; janitor every ${intervalSeconds} s, grace ${graceSeconds} s\n`);
  console.log('| terminate → namespace gone (s) | p50 | max |\n|---|---|---|');
  console.log(`| ${count} kernels | ${percentile(gone, 50).toFixed(1)} | ${Math.max(...gone).toFixed(1)} |`);
  if (report?.finishedAt) {
    console.log(`\nlast sweep: ${report.checked} labelled objects checked, ${report.removed.length} removed, in ${((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000).toFixed(1)} s`);
  }
  await temporal.client.schedule.getHandle(janitorScheduleId(config.taskQueue)).delete();
  await temporal.close();
  await worker.stop();
} finally {
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
