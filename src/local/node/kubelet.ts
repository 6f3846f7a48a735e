import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { httpGet } from '../http-probe.js';
import { toolBinary } from '../paths.js';
import { SupervisedProcess } from '../supervised-process.js';
import { cgroupHierarchies } from './host-state.js';
import { bridgeAddress, clusterDomain, kubeletPorts, nodeName, type NodePaths } from './settings.js';

export interface KubeletFiles {
  kubeconfig: string;
  caCertFile: string;
  servingCertFile: string;
  servingKeyFile: string;
}

/**
 * Containers live below this cgroup in every hierarchy, apart from the host's own, so that a node
 * that died can be found and cleared by it.
 */
export const nodeCgroupRoot = '/compute-orchestrator-node';

/**
 * cgroupfs, because containerd 1.6 implements no RuntimeConfig call; cgroups v1 explicitly
 * allowed (the machines this runs on have it). Eviction thresholds low: a full disk of a
 * developer's machine must not evict a kernel. Clients are checked against the cluster's CA
 * and authorized by the API server (the API server reads logs as kube-apiserver-kubelet-client).
 */
function config(paths: NodePaths, files: KubeletFiles): Record<string, unknown> {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: bridgeAddress,
    port: kubeletPorts.server,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: kubeletPorts.healthz,
    tlsCertFile: files.servingCertFile,
    tlsPrivateKeyFile: files.servingKeyFile,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: files.caCertFile } },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'cgroupfs',
    cgroupRoot: nodeCgroupRoot,
    failCgroupV1: false,
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    clusterDNS: [bridgeAddress],
    clusterDomain,
    resolvConf: '/etc/resolv.conf',
    podLogsDir: paths.podLogs,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    enableControllerAttachDetach: true,
    maxPods: 110,
    registerNode: true,
  };
}

export async function startKubelet(paths: NodePaths, files: KubeletFiles, logDir: string): Promise<SupervisedProcess> {
  mkdirSync(paths.kubeletRoot, { recursive: true });
  // The kubelet makes its groups below the root, which must exist in every hierarchy.
  for (const hierarchy of cgroupHierarchies()) mkdirSync(join(hierarchy, nodeCgroupRoot), { recursive: true });
  const configFile = join(paths.dir, 'kubelet-config.yaml');
  writeFileSync(configFile, stringify(config(paths, files)));
  const kubelet = SupervisedProcess.start({
    name: 'kubelet',
    command: toolBinary('kubernetes-node', 'kubelet'),
    args: [
      `--config=${configFile}`, `--kubeconfig=${files.kubeconfig}`, `--root-dir=${paths.kubeletRoot}`,
      `--hostname-override=${nodeName}`, `--node-ip=${bridgeAddress}`, '--node-labels=type=real', '--v=1',
    ],
    logFile: join(logDir, 'kubelet.log'),
  });
  await kubelet.waitUntilReady('healthy (/healthz)', async () => {
    const { status } = await httpGet(`http://127.0.0.1:${kubeletPorts.healthz}/healthz`);
    return status === 200;
  }, 60_000);
  return kubelet;
}
