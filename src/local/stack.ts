import { join } from 'node:path';
import { startControlPlane, stopAll, type ControlPlane, type ControlPlanePorts } from './control-plane/index.js';
import { routeSimulatedPods, startRealNode, type RealNode } from './node/index.js';
import { bridgeAddress } from './node/settings.js';
import { freePort } from './ports.js';
import type { SupervisedProcess } from './supervised-process.js';
import { startTemporalDevServer, type TemporalPorts } from './temporal-dev-server.js';

export interface StackPorts {
  temporal: TemporalPorts;
  controlPlane: ControlPlanePorts;
}

/** `npm start`'s fixed, documented ports (README). */
export const defaultPorts: StackPorts = {
  temporal: { grpc: 7233, ui: 8233, http: 7243, metrics: 7239 },
  controlPlane: { etcdClient: 2379, etcdPeer: 2380, apiserver: 6443, controllerManager: 10257, scheduler: 10259 },
};

/** Every default port moved by `offset`, to run a second stack beside the first (LOCAL_PORT_OFFSET). */
export function offsetPorts(ports: StackPorts, offset: number): StackPorts {
  const shift = <T extends object>(group: T): T =>
    Object.fromEntries(Object.entries(group).map(([name, port]) => [name, (port as number) + offset])) as T;
  return { temporal: shift(ports.temporal), controlPlane: shift(ports.controlPlane) };
}

/** Fresh ports for a test run, so it can run beside `npm start`. */
/** Ports for a Temporal dev server alone. */
export async function freeTemporalPorts(): Promise<TemporalPorts> {
  return { grpc: await freePort(), ui: await freePort(), http: await freePort(), metrics: await freePort() };
}

export async function freePorts(): Promise<StackPorts> {
  return {
    temporal: await freeTemporalPorts(),
    controlPlane: {
      etcdClient: await freePort(), etcdPeer: await freePort(), apiserver: await freePort(),
      controllerManager: await freePort(), scheduler: await freePort(),
    },
  };
}

export interface LocalStackOptions {
  stateDir: string;
  ports: StackPorts;
  /** Use this Temporal instead of starting the dev server. */
  temporalAddress?: string;
  /** Use this cluster's kubeconfig instead of starting a control plane. */
  kubeconfig?: string;
  /** Where the stack says what it did to the host (a real node's start, leftovers it cleared). */
  report?: (message: string) => void;
}

export interface LocalStack {
  temporalAddress: string;
  /** Set when the stack runs the dev server (and so its Web UI). */
  temporalUiUrl?: string;
  /** Admin kubeconfig of the cluster registered as `local`, for people and test fixtures. */
  kubeconfig: string;
  /**
   * The worker's kubeconfig of `local`: the orchestrator's least-privilege service account when
   * the stack runs the control plane, the given kubeconfig otherwise.
   */
  workerKubeconfig: string;
  /** Set when the stack runs the control plane. */
  apiserverUrl?: string;
  /** The real node's name, when the stack runs one beside the kwok node. */
  realNode?: string;
  /** Why the stack's control plane runs with the kwok node alone. */
  kwokOnlyReason?: string;
  /** Where the real node's pods reach this machine (its bridge): kernels send their connection information there. */
  kernelResponseHost?: string;
  logDir: string;
  processes: SupervisedProcess[];
  stop(): Promise<void>;
}

/**
 * Temporal and Kubernetes side by side, each started unless given from outside. If either
 * fails, what did start is stopped before the error propagates.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const logDir = join(options.stateDir, 'logs');
  const [temporal, controlPlane] = await Promise.allSettled([
    options.temporalAddress ? undefined : startTemporalDevServer(join(options.stateDir, 'temporal'), logDir, options.ports.temporal),
    options.kubeconfig ? undefined : startControlPlane(join(options.stateDir, 'kubernetes'), logDir, options.ports.controlPlane, join(options.stateDir, 'kubeconfig')),
  ]);
  const processes = [
    ...(temporal.status === 'fulfilled' && temporal.value ? [temporal.value.process] : []),
    ...(controlPlane.status === 'fulfilled' && controlPlane.value ? controlPlane.value.processes : []),
  ];
  const failure = [temporal, controlPlane].find((result) => result.status === 'rejected');
  if (failure) {
    await stopAll(processes);
    throw failure.reason;
  }
  const temporalServer = temporal.status === 'fulfilled' ? temporal.value : undefined;
  const cluster = controlPlane.status === 'fulfilled' ? controlPlane.value : undefined;
  const node = cluster ? await startNode(cluster, options, logDir).catch(async (error: unknown) => {
    await stopAll(processes);
    throw error;
  }) : undefined;
  const realNode = node && 'processes' in node ? node : undefined;
  return {
    temporalAddress: options.temporalAddress ?? temporalServer!.address,
    temporalUiUrl: temporalServer?.uiUrl,
    kubeconfig: options.kubeconfig ?? cluster!.kubeconfig,
    workerKubeconfig: options.kubeconfig ?? cluster!.orchestratorKubeconfig,
    apiserverUrl: cluster?.server,
    realNode: realNode?.name,
    kwokOnlyReason: node && 'reason' in node ? node.reason : undefined,
    kernelResponseHost: realNode ? bridgeAddress : undefined,
    logDir,
    processes: [...processes, ...(realNode?.processes ?? [])],
    stop: async () => {
      await realNode?.stop();
      await stopAll(processes);
    },
  };
}

/** The real node, or why there is none (then every pod goes to the kwok node). */
async function startNode(cluster: ControlPlane, options: LocalStackOptions, logDir: string): Promise<RealNode | { reason: string }> {
  const node = await startRealNode({
    stateDir: options.stateDir, logDir, server: cluster.server, apiserverPort: options.ports.controlPlane.apiserver,
    pki: cluster.pki, adminKubeconfig: cluster.kubeconfig, report: options.report ?? (() => undefined),
  });
  if ('reason' in node) await routeSimulatedPods(cluster.kubeconfig, false);
  return node;
}

/** Resolves with the first component that exits while the stack should be running. */
export function firstUnexpectedExit(stack: LocalStack): Promise<{ component: string; description: string; logTail: string }> {
  return Promise.race(stack.processes.map(async (process) => {
    const description = await process.whenExited();
    return { component: process.name, description, logTail: process.logTail() };
  }));
}
