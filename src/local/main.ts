import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { buildApi } from '../api/app.js';
import { apiDeps } from '../api/deps.js';
import { TokenRegistry } from '../api/auth.js';
import { checkHealth } from '../client/health.js';
import { connectTemporal } from '../client/temporal.js';
import { loadCodecKeys } from '../codec/keys.js';
import { defaultCodecKeysFile, loadRuntimeConfig, loopbackWebUiOrigins } from '../config.js';
import { exitOnStartupError, runUntilSignal } from '../process-lifecycle.js';
import { installTemporalRuntime, startWorker } from '../worker.js';
import { ensureLocalApiToken } from './api-token.js';
import { ensureLocalCodecKeys } from './codec-keys.js';
import { defaultStateDir, localSparkSubmitEnv, repoRoot } from './paths.js';
import { defaultPorts, firstUnexpectedExit, offsetPorts, startLocalStack } from './stack.js';
import { startLocalGkeApi } from './gke-simulator-setup.js';
import { writeLocalKernelSpecs } from './kernel-specs.js';
import { linkKubectl } from './kubectl.js';
import { assertPortFree } from './ports.js';
import { fakeNodeName } from './control-plane/kwok.js';

/** `npm start`: the embedded stack, the worker and the API in one process tree on loopback. */
const stateDir = process.env.LOCAL_STATE_DIR ?? defaultStateDir;
mkdirSync(join(stateDir, 'logs'), { recursive: true });
const fail = exitOnStartupError('npm start');
const portOffset = Number(process.env.LOCAL_PORT_OFFSET ?? 0);
if (!Number.isInteger(portOffset) || portOffset < 0 || portOffset > 50_000) {
  fail(new Error(`LOCAL_PORT_OFFSET must be an integer from 0 to 50000, got '${process.env.LOCAL_PORT_OFFSET}'`));
}
if (process.env.GKE_SIMULATOR === '1' && process.env.CLUSTER_PRESETS_FILE) {
  fail(new Error('GKE_SIMULATOR=1 brings its own cluster presets: unset CLUSTER_PRESETS_FILE, or GKE_SIMULATOR'));
}
const simulatedOperationSeconds = Number(process.env.GKE_SIMULATOR_OPERATION_SECONDS ?? 30);
if (!(simulatedOperationSeconds > 0 && simulatedOperationSeconds <= 3600)) {
  fail(new Error(`GKE_SIMULATOR_OPERATION_SECONDS must be a number of seconds from 1 to 3600, got '${process.env.GKE_SIMULATOR_OPERATION_SECONDS}'`));
}
const ports = offsetPorts(defaultPorts, portOffset);
const config = (() => {
  try {
    const loaded = loadRuntimeConfig({
      ...localSparkSubmitEnv(),
      ...process.env,
      API_PORT: process.env.API_PORT ?? String(8080 + portOffset),
      API_TOKENS_FILE: process.env.API_TOKENS_FILE ?? join(stateDir, 'api-tokens.json'),
      CODEC_KEYS_FILE: process.env.CODEC_KEYS_FILE ?? join(stateDir, 'codec-keys.json'),
      CODEC_CORS_ORIGINS: process.env.CODEC_CORS_ORIGINS ?? loopbackWebUiOrigins(ports.temporal.ui),
    });
    // Made like the API token unless the operator brings keys; checked before the stack's seconds are spent.
    if (!process.env.CODEC_KEYS_FILE) ensureLocalCodecKeys(loaded.codecKeysFile);
    loadCodecKeys(loaded.codecKeysFile);
    return loaded;
  } catch (error) {
    return fail(error);
  }
})();
// Before spending seconds on the stack: the API's port must be free.
await assertPortFree('REST API', config.apiPort).catch(fail);
// The terminal shows the banner; the orchestrator's JSON logs go to a file beside the components'.
const logger = pino({ name: 'compute-orchestrator', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(join(stateDir, 'logs', 'orchestrator.log')));
const show = (path: string): string => relative(process.cwd(), path) || path;

console.log('Starting the embedded stack…');
const stack = await startLocalStack({
  stateDir,
  ports,
  temporalAddress: process.env.TEMPORAL_ADDRESS || undefined,
  kubeconfig: process.env.KUBECONFIG_LOCAL || undefined,
  report: (message) => {
    console.log(message);
    logger.info({ component: 'local-stack' }, message);
  },
}).catch(fail);
if (stack.kwokOnlyReason) console.log(`No real node: ${stack.kwokOnlyReason}; every pod runs simulated on the kwok node.`);
// Only on request, and said loudly: the simulator is not Google.
const gkeApi = process.env.GKE_SIMULATOR === '1'
  ? await startLocalGkeApi(stack.kubeconfig, stateDir, { operationSeconds: simulatedOperationSeconds }, logger).catch(fail)
  : undefined;
if (gkeApi) logger.warn({ simulator: 'gke', address: gkeApi.simulator.address }, 'GKE simulator running: clusters of the connection "simulator" are fakes pointing at the local control plane');
const runtime = {
  ...config,
  temporalAddress: stack.temporalAddress,
  localCluster: { kubeconfig: stack.workerKubeconfig },
  kernelSpecsFile: config.kernelSpecsFile ?? writeLocalKernelSpecs(join(stateDir, 'kernel-specs.json'), stack.realNode !== undefined),
  kernelResponseHost: config.kernelResponseHost ?? stack.kernelResponseHost,
  ...(gkeApi ? { clusterPresetsFile: gkeApi.presetsFile } : {}),
};
const kubectl = linkKubectl(stateDir);
if (!process.env.API_TOKENS_FILE) ensureLocalApiToken(join(stateDir, 'api-token'), config.apiTokensFile);

installTemporalRuntime(logger, runtime.workerMetricsAddress);
const worker = await startWorker(runtime);
const temporal = await connectTemporal(runtime);
const api = await buildApi(apiDeps(runtime, temporal, TokenRegistry.fromFile(runtime.apiTokensFile), logger));
await api.listen({ host: runtime.apiHost, port: runtime.apiPort });
const apiUrl = `http://${runtime.apiHost}:${runtime.apiPort}`;

let stopping = false;
const shutdown = async (): Promise<void> => {
  stopping = true;
  console.log('Stopping: API, worker, then every local component…');
  await api.close();
  await worker.stop().catch((error: unknown) => logger.error({ err: error }, 'worker stopped with an error'));
  await temporal.close();
  await gkeApi?.simulator.stop();
  await stack.stop();
  console.log('Stopped.');
};

void firstUnexpectedExit(stack).then(async ({ component, description, logTail }) => {
  if (stopping) return;
  console.error(`\n${component} ${description}. Last lines of its log:\n${logTail}\n`);
  await shutdown();
  process.exit(1);
});
worker.done.catch(async (error: unknown) => {
  if (stopping) return;
  console.error(`\nthe worker failed: ${(error as Error).message}`);
  await shutdown();
  process.exit(1);
});

for (let attempt = 0; !(await checkHealth(temporal, runtime.taskQueue)).ok; attempt++) {
  if (attempt === 60) console.error('the worker does not poll its task queue yet; see the logs');
  await sleep(500);
}

const exampleJob = {
  user: 'alice',
  app: { image: 'apache/spark:4.0.1', mainClass: 'org.apache.spark.examples.SparkPi', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar' },
};
// The CLI reads the same variables: those that differ from its defaults go on its command line.
const starterEnv = [
  portOffset === 0 ? undefined : `TEMPORAL_ADDRESS=${stack.temporalAddress}`,
  resolve(runtime.codecKeysFile) === resolve(defaultCodecKeysFile) ? undefined : `CODEC_KEYS_FILE=${show(runtime.codecKeysFile)}`,
].filter((variable) => variable !== undefined);
const startCommand = [...starterEnv, 'node', show(join(repoRoot, 'dist', 'starter.js'))].join(' ');
const lines = [
  '',
  'compute-orchestrator is up.',
  stack.temporalUiUrl ? `  Temporal Web UI  ${stack.temporalUiUrl}` : undefined,
  `  Temporal         ${stack.temporalAddress}`,
  `  REST API         ${apiUrl}  (bearer token in ${show(join(stateDir, 'api-token'))})`,
  `  Payload keys     ${show(runtime.codecKeysFile)}  (codec endpoint ${apiUrl}/codec)`,
  `  Kubernetes       ${stack.apiserverUrl ?? 'external cluster'}  (kubeconfig ${show(stack.kubeconfig)})`,
  stack.apiserverUrl ? `  Nodes            ${stack.realNode ? `${stack.realNode} (real containers) and ${fakeNodeName} (simulated, for pods that ask)` : `${fakeNodeName} only (simulated)`}` : undefined,
  `  Logs             ${show(stack.logDir)}/`,
  gkeApi ? `  GKE simulator    ${gkeApi.simulator.address}  (NOT Google: a local fake; connection 'simulator', node pool 'small')` : undefined,
  'Try:',
  `  curl -s ${apiUrl}/healthz`,
  `  ${show(kubectl)} --kubeconfig ${show(stack.kubeconfig)} get nodes`,
  `  curl -s -H "Authorization: Bearer $(cat ${show(join(stateDir, 'api-token'))})" -H 'content-type: application/json' -d '${JSON.stringify(exampleJob)}' ${apiUrl}/v1/spark-jobs`,
  `  ${startCommand} submit --user alice --image ${exampleJob.app.image} --class ${exampleJob.app.mainClass} ${exampleJob.app.mainApplicationFile} 100`,
  `  ${startCommand} list --user alice`,
  gkeApi ? `  ${startCommand} cluster create demo --connection simulator --node-pool small` : undefined,
  // JupyterLab is the user's own (pip install jupyterlab); the API is its gateway.
  runtime.kernelResponseHost
    ? `  KERNEL_USERNAME=alice jupyter lab --gateway-url=${apiUrl} --GatewayClient.auth_token="$(cat ${show(join(stateDir, 'api-token'))})" --GatewayClient.request_timeout=120`
    : undefined,
  'Ctrl-C stops everything.',
];
console.log(lines.filter((line) => line !== undefined).join('\n'));
await runUntilSignal(logger, shutdown);
