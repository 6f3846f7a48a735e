import { CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { applyManifests } from '../control-plane/orchestrator-identity.js';
import { writeKubeconfig } from '../control-plane/kubeconfig.js';
import type { ClusterPki } from '../control-plane/pki.js';
import { repoRoot } from '../paths.js';
import { startSideBySide, type SupervisedProcess } from '../supervised-process.js';
import { nodeClusterObjects } from './cluster-objects.js';
import { importImages, startContainerd } from './containerd.js';
import { startCoreDns } from './coredns.js';
import { claimNode, releaseNode } from './host-claim.js';
import { whyNoRealNode } from './host-support.js';
import { nodeCgroupRoot, startKubelet } from './kubelet.js';
import { startKubeProxy } from './kube-proxy.js';
import { createBridge, startApiRelay, writeCniConfig } from './network.js';
import { nodeName, nodePaths } from './settings.js';
import { simulatedTaint, simulationRoutingObjects } from './simulation-routing.js';
import { fakeNodeName, nodeReady } from '../control-plane/kwok.js';

export interface RealNodeOptions {
  stateDir: string;
  logDir: string;
  server: string;
  apiserverPort: number;
  pki: ClusterPki;
  adminKubeconfig: string;
  /** Says what happened to the host, for the stack's log. */
  report: (message: string) => void;
}

export interface RealNode {
  name: string;
  processes: SupervisedProcess[];
  stop(): Promise<void>;
}

/** The images' cache entry, built by their recipe if needed; undefined when it cannot be. */
export function imagesDir(): string | undefined {
  try {
    return execFileSync('bash', [join(repoRoot, 'tools', 'build-images.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
  } catch {
    return undefined;
  }
}

function adminClient(kubeconfig: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return config;
}

/**
 * With a real node, pods that ask for simulation go to the tainted kwok node; without one, every
 * pod goes there, so the taint and the routing policy are lifted (a state directory keeps both
 * from a run that had a node).
 */
export async function routeSimulatedPods(adminKubeconfig: string, realNode: boolean): Promise<void> {
  const admin = adminClient(adminKubeconfig);
  const core = admin.makeApiClient(CoreV1Api);
  const node = await core.readNode({ name: fakeNodeName });
  const others = (node.spec?.taints ?? []).filter((taint) => taint.key !== simulatedTaint.key);
  await core.patchNode({ name: fakeNodeName, body: [{ op: 'add', path: '/spec/taints', value: realNode ? [...others, simulatedTaint] : others }] });
  if (realNode) {
    await applyManifests(admin, simulationRoutingObjects());
  } else {
    const objects = KubernetesObjectApi.makeApiClient(admin);
    for (const object of simulationRoutingObjects().reverse()) {
      await objects.delete(object).catch((error: { code?: number }) => {
        if (error.code !== 404) throw error;
      });
    }
  }
}

/**
 * A real node beside the kwok node: containerd, the kubelet, CoreDNS and kube-proxy, with every
 * state file under the stack's directory. Returns the reason instead when this machine cannot
 * run one or another stack holds it. Its host changes are undone when it stops, and by the next
 * start if it died hard.
 */
export async function startRealNode(options: RealNodeOptions): Promise<RealNode | { reason: string }> {
  const images = imagesDir();
  const impossible = whyNoRealNode(images);
  if (impossible) return { reason: impossible };
  const paths = nodePaths(options.stateDir);
  const claim = await claimNode(options.stateDir, paths.dir, nodeCgroupRoot);
  if (!claim.claimed) return { reason: claim.reason };
  if (claim.cleared) {
    options.report(`found host state left by a real node that died (stack ${claim.cleared.stateDir}, pid ${claim.cleared.pid}, claimed ${claim.cleared.claimedAt}) and cleared it`);
  }

  const startedAt = Date.now();
  const processes: SupervisedProcess[] = [];
  let relay: Server | undefined;
  const stop = async (): Promise<void> => {
    for (const process of [...processes].reverse()) await process.stop();
    await new Promise<void>((resolvePromise) => (relay ? relay.close(() => resolvePromise()) : resolvePromise()));
    await releaseNode(claim.claim);
  };
  try {
    mkdirSync(join(paths.dir, 'kubeconfigs'), { recursive: true, mode: 0o700 });
    const kubeconfig = (client: 'kubelet' | 'kubeProxy' | 'coredns'): string => {
      const file = join(paths.dir, 'kubeconfigs', client);
      writeKubeconfig(file, options.server, options.pki.caCert, options.pki.clients[client]);
      return file;
    };
    createBridge();
    writeCniConfig(paths);
    processes.push(await startContainerd(paths, options.logDir));
    const imported = await importImages(paths, images!);
    if (imported.length > 0) options.report(`imported images into the node's containerd: ${imported.join(', ')}`);
    relay = await startApiRelay(options.apiserverPort);
    await applyManifests(adminClient(options.adminKubeconfig), nodeClusterObjects(options.apiserverPort));
    await routeSimulatedPods(options.adminKubeconfig, true);
    const kubelet = await startKubelet(paths, {
      kubeconfig: kubeconfig('kubelet'), caCertFile: join(options.pki.dir, 'ca.crt'),
      servingCertFile: join(options.pki.dir, 'kubeletServing.crt'), servingKeyFile: join(options.pki.dir, 'kubeletServing.key'),
    }, options.logDir);
    processes.push(kubelet);
    const core = adminClient(options.adminKubeconfig).makeApiClient(CoreV1Api);
    await kubelet.waitUntilReady(`reporting node ${nodeName} Ready`, async () => nodeReady(await core.readNode({ name: nodeName })), 90_000);
    await startSideBySide(processes, [
      startCoreDns(paths, kubeconfig('coredns'), options.logDir),
      startKubeProxy(paths, kubeconfig('kubeProxy'), options.logDir),
    ]);
    options.report(`real node ${nodeName} up in ${((Date.now() - startedAt) / 1000).toFixed(1)}s`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name: nodeName, processes, stop };
}
