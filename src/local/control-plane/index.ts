import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startSideBySide, type SupervisedProcess } from '../supervised-process.js';
import { startApiserver } from './apiserver.js';
import { apiserverUrl, type ControlPlaneContext, type ControlPlanePorts } from './context.js';
import { startControllerManager } from './controller-manager.js';
import { startEtcd } from './etcd.js';
import { writeKubeconfig } from './kubeconfig.js';
import { startKwok } from './kwok.js';
import { installOrchestratorIdentity } from './orchestrator-identity.js';
import { ensurePki, type ClusterPki } from './pki.js';
import { startScheduler } from './scheduler.js';

export type { ControlPlanePorts } from './context.js';

export interface ControlPlane {
  server: string;
  caCert: string;
  pki: ClusterPki;
  /** Admin (system:masters) kubeconfig. */
  kubeconfig: string;
  /** The worker's kubeconfig: the orchestrator's service account, bound only to deploy/rbac's role. */
  orchestratorKubeconfig: string;
  processes: SupervisedProcess[];
  /** Stops kube-apiserver and starts it again on the same port and etcd, as an upgrade or a crash would: its clients reconnect. */
  restartApiserver(): Promise<void>;
}

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC, TokenRequest),
 * controller-manager, scheduler and kwok with one fake node, with deploy/rbac applied. State lives
 * in `dir` and survives restarts. On failure everything already started is stopped before the
 * error is thrown.
 */
export async function startControlPlane(dir: string, logDir: string, ports: ControlPlanePorts, adminKubeconfig: string): Promise<ControlPlane> {
  mkdirSync(dir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const pki = ensurePki(join(dir, 'pki'));
  const kubeconfigDir = join(dir, 'kubeconfigs');
  mkdirSync(kubeconfigDir, { recursive: true, mode: 0o700 });
  const ctx: ControlPlaneContext = {
    dir, logDir, ports, pki,
    kubeconfigs: {
      admin: adminKubeconfig,
      controllerManager: join(kubeconfigDir, 'controller-manager'),
      scheduler: join(kubeconfigDir, 'scheduler'),
      kwok: join(kubeconfigDir, 'kwok'),
    },
  };
  const server = apiserverUrl(ctx);
  for (const client of ['admin', 'controllerManager', 'scheduler', 'kwok'] as const) {
    writeKubeconfig(ctx.kubeconfigs[client], server, pki.caCert, pki.clients[client]);
  }

  const orchestratorKubeconfig = join(kubeconfigDir, 'compute-orchestrator');
  const processes: SupervisedProcess[] = [];
  try {
    processes.push(await startEtcd(ctx));
    processes.push(await startApiserver(ctx));
    await startSideBySide(processes, [startControllerManager(ctx), startScheduler(ctx), startKwok(ctx)]);
    await installOrchestratorIdentity(adminKubeconfig, server, pki.caCert, orchestratorKubeconfig);
  } catch (error) {
    await stopAll(processes);
    throw error;
  }
  const restartApiserver = async (): Promise<void> => {
    const index = processes.findIndex((process) => process.name === 'kube-apiserver');
    await processes[index]?.stop();
    // Replaced in place: the stack stops its processes in reverse start order.
    processes[index] = await startApiserver(ctx);
  };
  return { server, caCert: pki.caCert, pki, kubeconfig: adminKubeconfig, orchestratorKubeconfig, processes, restartApiserver };
}

/** Stops in reverse start order, so nothing reconnects to a component already gone. */
export async function stopAll(processes: SupervisedProcess[]): Promise<void> {
  for (const process of [...processes].reverse()) await process.stop();
}
