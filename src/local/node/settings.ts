import { join } from 'node:path';

/**
 * The real node's fixed host settings. One real node fits on a machine (its iptables chains,
 * cgroups and kubelet ports are the host's), so these are constants and a machine-wide claim
 * (host-claim.ts) decides which stack has it.
 */
export const nodeName = 'node-0';
export const bridgeName = 'co-node-0';
/** Pods' addresses; the bridge holds the first, where CoreDNS, the kubelet and the API relay listen. */
export const podSubnet = '10.200.0.0/16';
export const bridgeAddress = '10.200.0.1';
export const serviceSubnet = '10.96.0.0/16';
export const clusterDomain = 'cluster.local';
export const kubeletPorts = { server: 10250, healthz: 10248 };
export const kubeProxyPorts = { healthz: 10256, metrics: 10249 };

/** Where a stack keeps its node's state: under its own state directory. */
export interface NodePaths {
  dir: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  kubeletRoot: string;
  podLogs: string;
  cniConfDir: string;
  pki: string;
}

export function nodePaths(stateDir: string): NodePaths {
  const dir = join(stateDir, 'node');
  return {
    dir,
    containerdRoot: join(dir, 'containerd', 'root'),
    containerdState: join(dir, 'containerd', 'state'),
    containerdSocket: join(dir, 'containerd', 'containerd.sock'),
    kubeletRoot: join(dir, 'kubelet'),
    podLogs: join(dir, 'pod-logs'),
    cniConfDir: join(dir, 'cni'),
    pki: join(dir, 'pki'),
  };
}
