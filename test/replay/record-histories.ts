/**
 * Records one history of each workflow type (and of their main paths) from a real run on the
 * embedded stack, into test/replay/histories/, for test/unit/replay-histories.test.ts. Run it
 * when a workflow changes on purpose (after guarding the change with `patched()`), keeping the
 * old files: every history ever recorded must still replay. Usage: npm run record:histories [-- stamp]
 * The files are named `<stamp>-<scenario>.binpb`, the stamp today's date unless given (a second
 * recording on one day, say `2026-12-04b`, must not replace the first).
 * Payloads are encrypted with test/replay/codec-keys.json, a key for these fixtures only.
 */
import proto from '@temporalio/proto';
import { pino } from 'pino';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClustersClient } from '../../src/client/clusters.js';
import { JanitorClient } from '../../src/client/janitor.js';
import { kernelContext } from '../../src/client/kernel-catalog.js';
import { toKernelSessionInput } from '../../src/client/kernel-request.js';
import { KernelsClient } from '../../src/client/kernels.js';
import { knownClustersOf } from '../../src/client/known-clusters.js';
import { leaseKubeconfig } from '../../src/client/lease-kubeconfig.js';
import { toSparkJobInput, toSparkLeaseInput } from '../../src/client/spark-job-request.js';
import { SparkJobsClient } from '../../src/client/spark-jobs.js';
import { connectTemporal } from '../../src/client/temporal.js';
import { loadRuntimeConfig } from '../../src/config.js';
import { clusterWorkflowId, userQuotaWorkflowId } from '../../src/domain/workflow-ids.js';
import { startLocalGkeApi } from '../../src/local/gke-simulator-setup.js';
import { localSparkSubmitEnv, repoRoot } from '../../src/local/paths.js';
import { freePorts, startLocalStack } from '../../src/local/stack.js';
import { startWorker } from '../../src/worker.js';
import { clusterUseSignal } from '../../src/workflows/cluster-use.js';
import { writeKernelSpecs } from '../integration/stack/simulated-kernels.js';
import { sparkPiApp } from '../integration/stack/spark-pi.js';
import { writeLocalKernelSpecs } from '../../src/local/kernel-specs.js';

const outDir = join(repoRoot, 'test', 'replay', 'histories');
const stamp = process.argv[2] ?? new Date().toISOString().slice(0, 10);
if (!/^[\w-]+$/.test(stamp)) throw new Error(`the stamp must be letters, digits, _ or -, got '${stamp}'`);
const stateDir = join(tmpdir(), `record-histories-${process.pid}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await sleep(250);
  }
};

const stack = await startLocalStack({ stateDir, ports: await freePorts() });
const gkeApi = await startLocalGkeApi(stack.kubeconfig, stateDir, { operationSeconds: 3 }, { info: () => undefined });
try {
  const presetsFile = gkeApi.presetsFile;
  const presets = JSON.parse(readFileSync(presetsFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(presetsFile, JSON.stringify({ ...presets, staticClusters: { attached: { kubeconfig: stack.workerKubeconfig } } }));
  const config = loadRuntimeConfig({
    TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: 'record-histories', KUBECONFIG_LOCAL: stack.workerKubeconfig,
    ...localSparkSubmitEnv(), CODEC_KEYS_FILE: join(repoRoot, 'test', 'replay', 'codec-keys.json'),
    CLUSTER_PRESETS_FILE: presetsFile, JANITOR_INTERVAL_SECONDS: '0', KERNEL_MAX_PER_USER: '2', SPARK_MAX_IN_FLIGHT_PER_USER: '2',
    KERNEL_SPECS_FILE: writeKernelSpecs(stateDir, 'kernel-specs-simulated'),
    ...(stack.kernelResponseHost ? { KERNEL_RESPONSE_HOST: stack.kernelResponseHost } : {}),
  });
  if (!stack.realNode) throw new Error(`recording needs the real node (a kernel that connects back): ${stack.kwokOnlyReason}`);
  const worker = await startWorker(config, pino({ level: 'silent' }));
  const temporal = await connectTemporal(config);
  const { client } = temporal;
  const recorded: Array<[string, string]> = [];
  const record = (name: string, workflowId: string) => recorded.push([name, workflowId]);

  const jobs = new SparkJobsClient(client, config.taskQueue, config.sparkMaxInFlightPerUser);
  const job = (jobId: string, runSeconds: number) => toSparkJobInput({
    jobId, user: 'replay',
    app: sparkPiApp(runSeconds),
  }, { orchestratorNamespace: config.orchestratorNamespace });
  const succeeded = await jobs.start(job('succeeds', 1));
  await client.workflow.getHandle(succeeded.workflowId).result();
  record('spark-job-succeeded', succeeded.workflowId);
  const cancelled = await jobs.start(job('cancelled', 300));
  await until(() => jobs.status('cancelled'), (status) => status.phase === 'RUNNING');
  await jobs.cancel('cancelled', { reason: 'recording', by: 'recorder' });
  await client.workflow.getHandle(cancelled.workflowId).result();
  record('spark-job-cancelled', cancelled.workflowId);
  record('user-quota-spark-job', userQuotaWorkflowId('spark-job', 'replay'));

  // A client-mode lease: renewed, a token issued (sealed to a key only this run holds), ended.
  const lease = await jobs.startLease(toSparkLeaseInput({ jobId: 'leased', user: 'replay-lease', deployMode: 'client' }, { orchestratorNamespace: config.orchestratorNamespace }));
  await until(() => jobs.status('leased'), (status) => status.phase === 'RUNNING');
  await jobs.renewLease('leased');
  await leaseKubeconfig(jobs, 'leased');
  await jobs.end('leased', { exitCode: 0, by: 'recorder' });
  await client.workflow.getHandle(lease.workflowId).result();
  record('spark-lease-ended', lease.workflowId);

  const kernels = new KernelsClient(client, config.taskQueue, config.kernelMaxPerUser);
  const kernel = toKernelSessionInput({ kernelId: 'shut-down', user: 'replay' }, kernelContext(config));
  await kernels.start(kernel);
  await until(() => kernels.status('shut-down'), (status) => status.phase === 'RUNNING');
  await kernels.touch('shut-down');
  await kernels.shutdown('shut-down', { reason: 'recording', by: 'recorder' });
  await client.workflow.getHandle(kernel.plan.workflowId).result();
  record('kernel-session-shutdown', kernel.plan.workflowId);
  const idle = toKernelSessionInput({ kernelId: 'culled', user: 'replay', cullIdleTimeoutSeconds: 5 }, kernelContext(config));
  await kernels.start(idle);
  await client.workflow.getHandle(idle.plan.workflowId).result();
  record('kernel-session-culled', idle.plan.workflowId);
  record('user-quota-kernel', userQuotaWorkflowId('kernel', 'replay'));

  // A kernel clients reach: launched by the protocol, used on the wire, leased, restarted, shut down.
  const reachable = toKernelSessionInput({ kernelId: 'gateway', user: 'replay-gateway' },
    kernelContext({ ...config, kernelSpecsFile: writeLocalKernelSpecs(join(stateDir, 'kernel-specs-real.json'), true) }));
  await kernels.start(reachable);
  await until(() => kernels.status('gateway'), (status) => status.phase === 'RUNNING');
  await kernels.holdLease('gateway', { connection: 'recorder', until: Date.now() + 60_000 });
  await until(() => kernels.status('gateway'), (status) => status.executionState === 'idle');
  await kernels.restart('gateway', { by: 'recorder' });
  await kernels.holdLease('gateway', { connection: 'recorder', until: 0 });
  await kernels.shutdown('gateway', { reason: 'recording', by: 'recorder' });
  await client.workflow.getHandle(reachable.plan.workflowId).result();
  record('kernel-session-gateway', reachable.plan.workflowId);

  const clusters = new ClustersClient(client, config.taskQueue, knownClustersOf(config));
  await clusters.create({ name: 'attached', provider: 'static', idleTtlSeconds: 3600 }, 'recorder');
  await until(() => clusters.status('attached'), (status) => status.phase === 'RUNNING');
  await client.workflow.getHandle(clusterWorkflowId('attached')).signal(clusterUseSignal, { workflowId: 'some-job', kind: 'spark-job', inUse: true });
  await client.workflow.getHandle(clusterWorkflowId('attached')).signal(clusterUseSignal, { workflowId: 'some-job', kind: 'spark-job', inUse: false });
  await clusters.destroy('attached', { by: 'recorder' });
  await until(() => clusters.status('attached'), (status) => status.phase === 'DELETED');
  record('cluster-static', clusterWorkflowId('attached'));
  await clusters.create({ name: 'created', provider: 'gke', gke: { connection: 'simulator', nodePools: { small: { machineType: 'e2-standard-4', nodeCount: 1 } } } }, 'recorder');
  await until(() => clusters.status('created'), (status) => status.phase === 'RUNNING');
  const resized = await clusters.resizeNodePool('created', { pool: 'small', nodeCount: 2, by: 'recorder' });
  const added = await clusters.addNodePool('created', { pool: 'extra', preset: 'small', by: 'recorder' });
  await until(() => clusters.status('created'), (status) => [resized.id, added.id].every((id) => status.nodePoolOperations?.some((operation) => operation.id === id && operation.state === 'DONE')));
  await clusters.destroy('created', { by: 'recorder' });
  await until(() => clusters.status('created'), (status) => status.phase === 'DELETED');
  record('cluster-gke', clusterWorkflowId('created'));

  const report = await new JanitorClient(client, config.taskQueue).runNow(0);
  for await (const run of client.workflow.list({ query: 'WorkflowType="janitor"' })) record('janitor', run.workflowId);
  console.log(`janitor swept ${report.clusters.join(', ')}`);

  mkdirSync(outDir, { recursive: true });
  // Binary protobuf: the JSON form needs the SDK's historyFromJSON, which this install's two
  // protobufjs copies (google-gax's 7, Temporal's 8) break; the binary form needs only @temporalio/proto.
  for (const [name, workflowId] of recorded) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    writeFileSync(join(outDir, `${stamp}-${name}.binpb`), proto.temporal.api.history.v1.History.encode(history).finish());
    console.log(`${name}: ${history.events?.length ?? 0} events`);
  }
  await temporal.close();
  await worker.stop();
} finally {
  await gkeApi.simulator.stop();
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
