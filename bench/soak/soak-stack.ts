import { KubeConfig } from '@kubernetes/client-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken } from '../../src/api/auth.js';
import { ensureLocalCodecKeys } from '../../src/local/codec-keys.js';
import { startControlPlane, stopAll, type ControlPlane } from '../../src/local/control-plane/index.js';
import { startLocalGkeApi, type LocalGkeApi } from '../../src/local/gke-simulator-setup.js';
import { routeSimulatedPods } from '../../src/local/node/index.js';
import { localSparkSubmitEnv, repoRoot } from '../../src/local/paths.js';
import { freePort } from '../../src/local/ports.js';
import { freePorts } from '../../src/local/stack.js';
import { SupervisedProcess } from '../../src/local/supervised-process.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/local/temporal-dev-server.js';
import { seededRandom, startFaultProxy, writeKubeconfigThroughProxy, type FaultProxy } from '../../test/fault-proxy/index.js';
import { writeKernelSpecs } from '../../test/integration/stack/simulated-kernels.js';

/** The soak's limits: low, so that its users live near them. */
export const soakLimits = { sparkJobsPerUser: 4, kernelsPerUser: 3 };

/** The operator token the soak's clients use: a secret, so it must never show in a log or history. */
export const soakOperatorToken = `soak-operator-${process.pid}-${Date.now()}`;

export interface SoakStack {
  logDir: string;
  apiUrl: string;
  temporalAddress: string;
  adminKubeconfig: string;
  codecKeysFile: string;
  gke: LocalGkeApi;
  /** Between the worker and the API server: failing requests on demand. */
  proxy: FaultProxy;
  startWorker(name: string): Promise<void>;
  killWorker(name: string): Promise<void>;
  /** SIGTERM: the worker drains its tasks and leaves, as a scaled-down replica does. */
  stopWorker(name: string): Promise<void>;
  startApi(): Promise<void>;
  killApi(): Promise<void>;
  restartTemporal(): Promise<void>;
  restartApiserver(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A stack of the soak's own: the Temporal dev server (SQLite, kept across its restarts), a
 * control plane with the kwok node alone, the local GKE API, and the orchestrator as operators
 * run it: worker and API processes (so SIGKILL is a real crash), the workers reaching Kubernetes
 * through a fault proxy. Everything listens on loopback and stops with `stop()`.
 */
export async function startSoakStack(dir: string, seed: number): Promise<SoakStack> {
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const ports = await freePorts();
  let temporal: TemporalDevServer | undefined;
  let controlPlane: ControlPlane | undefined;
  let gke: LocalGkeApi | undefined;
  let proxy: FaultProxy | undefined;
  const processes = new Map<string, SupervisedProcess>();
  const stopOrchestrator = async (): Promise<void> => {
    await Promise.all([...processes.values()].map((child) => child.kill()));
    processes.clear();
  };
  const stopAllComponents = async (): Promise<void> => {
    await stopOrchestrator();
    await proxy?.stop();
    await gke?.simulator.stop();
    if (controlPlane) await stopAll(controlPlane.processes);
    await temporal?.process.stop();
  };
  try {
    [temporal, controlPlane] = await Promise.all([
      startTemporalDevServer(join(dir, 'temporal'), logDir, ports.temporal),
      startControlPlane(join(dir, 'kubernetes'), logDir, ports.controlPlane, join(dir, 'kubeconfig')),
    ]);
    await routeSimulatedPods(controlPlane.kubeconfig, false);
    gke = await startLocalGkeApi(controlPlane.kubeconfig, dir, { operationSeconds: 3, operationJitterSeconds: 2 }, { info: () => undefined });
    const worker = new KubeConfig();
    worker.loadFromFile(controlPlane.orchestratorKubeconfig);
    proxy = await startFaultProxy({ upstream: controlPlane.server, caPem: controlPlane.caCert, random: seededRandom(seed) });
    writeKubeconfigThroughProxy(proxy.url, worker.getCurrentUser()?.token ?? '', join(dir, 'worker-kubeconfig'));
  } catch (error) {
    await stopAllComponents();
    throw error;
  }
  const tokensFile = join(dir, 'api-tokens.json');
  writeFileSync(tokensFile, JSON.stringify({ tokens: [{ name: 'soak-operator', sha256: hashToken(soakOperatorToken), scopes: ['*'] }] }));
  const apiPort = await freePort();
  const codecKeysFile = ensureLocalCodecKeys(join(dir, 'codec-keys.json'));
  const env: Record<string, string> = {
    ...localSparkSubmitEnv(),
    TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: 'soak', KUBECONFIG_LOCAL: join(dir, 'worker-kubeconfig'),
    CODEC_KEYS_FILE: codecKeysFile, KERNEL_SPECS_FILE: writeKernelSpecs(dir, 'kernel-specs-simulated'), CLUSTER_PRESETS_FILE: gke.presetsFile,
    SPARK_MAX_IN_FLIGHT_PER_USER: String(soakLimits.sparkJobsPerUser), KERNEL_MAX_PER_USER: String(soakLimits.kernelsPerUser),
    JANITOR_INTERVAL_SECONDS: '0', JANITOR_GRACE_SECONDS: '5', GKE_POLL_INTERVAL_MS: '500',
    API_PORT: String(apiPort), API_TOKENS_FILE: tokensFile, LOG_LEVEL: 'debug',
  };
  // As the stack's own components: their own process group, and gone if the soak dies.
  const launch = (name: string, entry: string): void => {
    processes.set(name, SupervisedProcess.start({ name, command: process.execPath, args: [join(repoRoot, 'dist', entry)], logFile: join(logDir, `${name}.log`), env }));
  };
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const server = controlPlane;
  return {
    logDir, apiUrl, temporalAddress: temporal.address, adminKubeconfig: controlPlane.kubeconfig, codecKeysFile, gke, proxy,
    async startWorker(name) {
      launch(name, 'worker.js');
    },
    async killWorker(name) {
      await processes.get(name)?.kill();
      processes.delete(name);
    },
    async stopWorker(name) {
      await processes.get(name)?.stop();
      processes.delete(name);
    },
    async startApi() {
      launch('api', join('api', 'main.js'));
    },
    async killApi() {
      await processes.get('api')?.kill();
      processes.delete('api');
    },
    async restartTemporal() {
      await temporal!.process.stop();
      temporal = await startTemporalDevServer(join(dir, 'temporal'), logDir, ports.temporal);
    },
    restartApiserver: () => server.restartApiserver(),
    stop: stopAllComponents,
  };
}
