import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a real node may change on its host, read so that it can be restored and compared: the
 * kernel settings the kubelet, kube-proxy and the CNI bridge write, the iptables chains, the
 * paths that are hard-coded in containerd, CNI and the kubelet, network links, mounts and cgroups.
 */

/** Kernel settings touched by the kubelet (kernel tunables), kube-proxy and the CNI bridge plugin. */
export const touchedSysctls = [
  'net/ipv4/ip_forward', 'net/ipv4/conf/all/forwarding', 'net/ipv6/conf/all/forwarding',
  'net/ipv4/conf/all/route_localnet', 'net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables',
  'vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes',
  'net/netfilter/nf_conntrack_max', 'net/netfilter/nf_conntrack_tcp_timeout_established',
  'net/netfilter/nf_conntrack_tcp_timeout_close_wait',
];

/**
 * Paths containerd, the CNI plugins and the kubelet use whatever their configuration says, and
 * util-linux's table of mounts (the kubelet mounts with `mount`).
 */
export const hardCodedPaths = [
  '/run/containerd', '/var/lib/cni', '/var/lib/kubelet', '/var/log/containers', '/var/log/pods', '/run/netns',
  '/etc/cni', '/opt/cni', '/opt/containerd', '/run/mount',
];

/** Every cgroup v1 hierarchy and the v2 one, where the kubelet's and containerd's groups appear. */
export function cgroupHierarchies(): string[] {
  const root = '/sys/fs/cgroup';
  if (existsSync(join(root, 'cgroup.controllers'))) return [root];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, entry.name))
    .filter((dir) => existsSync(join(dir, 'cgroup.procs')));
}

export function readSysctls(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of touchedSysctls) {
    const file = join('/proc/sys', name);
    if (existsSync(file)) values[name] = readFileSync(file, 'utf8').trim();
  }
  return values;
}

export function existingPaths(): string[] {
  return hardCodedPaths.filter((path) => existsSync(path));
}

export const iptablesCommands = ['iptables', 'ip6tables'] as const;
export const iptablesTables = ['filter', 'nat', 'mangle', 'raw'] as const;

/** `iptables -S` of a table, or nothing when the command or the table is missing. */
export function iptablesRules(command: string, table: string): string[] {
  try {
    return execFileSync(command, ['-w', '-t', table, '-S'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
  } catch {
    return [];
  }
}

/** Chains made by kube-proxy, the kubelet and the CNI plugins: no other software names its chains so. */
export const nodeChain = /^(KUBE-|CNI-)/;

export function nodeChains(command: string, table: string): string[] {
  return iptablesRules(command, table)
    .map((rule) => /^-N (\S+)$/.exec(rule)?.[1])
    .filter((chain): chain is string => chain !== undefined && nodeChain.test(chain));
}

/** Mount points, deepest last, as the kernel lists them for this process. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => line.split(' ')[4]!.replace(/\\040/g, ' '));
}

export function links(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).trim().split('\n')
    .map((line) => line.split(':')[1]!.trim().split('@')[0]!);
}

/** Everything above in one comparable object: a node that stopped must leave it as it found it. */
export function hostSnapshot(cgroupRoots: string[]): Record<string, unknown> {
  return {
    sysctls: readSysctls(),
    paths: existingPaths(),
    links: links().sort(),
    mounts: mountPoints().sort(),
    iptables: Object.fromEntries(iptablesCommands.flatMap((command) => iptablesTables.map((table) => [`${command} -t ${table}`, iptablesRules(command, table)]))),
    cgroups: cgroupHierarchies().flatMap((hierarchy) => cgroupRoots.filter((root) => existsSync(join(hierarchy, root))).map((root) => join(hierarchy, root))),
  };
}
