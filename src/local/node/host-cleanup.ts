import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bridgeName } from './settings.js';
import { cgroupHierarchies, hardCodedPaths, iptablesCommands, iptablesRules, iptablesTables, links, mountPoints, nodeChain, nodeChains } from './host-state.js';

/** What a node changed on its host, recorded before it changed it (host-claim.ts). */
export interface HostChanges {
  /** The node's own directory: every process and mount below it is the node's. */
  nodeDir: string;
  /** The kubelet's cgroup root; containers live below it in every hierarchy. */
  cgroupRoot: string;
  /** Values before the node started. */
  sysctls: Record<string, string>;
  /** Hard-coded paths that existed before the node started: left alone. */
  preexistingPaths: string[];
}

const quietly = (command: string, args: string[]): void => {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
  } catch {
    // Gone already, or never made: either way not there.
  }
};

/** The node's programs; setpriv is their death-signal wrapper (supervised-process.ts). */
const nodePrograms = new Set(['containerd', 'containerd-shim-runc-v2', 'kubelet', 'kube-proxy', 'coredns', 'setpriv']);

/** The node's programs started for `nodeDir` (their arguments name it), and no other process. */
function nodeDaemons(nodeDir: string): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return nodePrograms.has(argv[0]!.split('/').pop()!) && argv.some((arg) => arg.includes(nodeDir));
    } catch {
      return false;
    }
  });
}

function cgroupDirs(root: string): string[] {
  const dirs: string[] = [];
  const walk = (dir: string): void => {
    dirs.push(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name));
  };
  for (const hierarchy of cgroupHierarchies()) {
    const top = join(hierarchy, root);
    if (existsSync(top)) walk(top);
  }
  return dirs;
}

function pidsInCgroups(root: string): number[] {
  return cgroupDirs(root).flatMap((dir) => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** The node's daemons and shims (by their paths), then every container (by its cgroups). */
async function killNodeProcesses(changes: HostChanges): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = [...nodeDaemons(changes.nodeDir), ...pidsInCgroups(changes.cgroupRoot)];
    if (pids.length === 0) return;
    killAll(pids);
    await sleep(100);
  }
  throw new Error(`processes of the real node would not die: ${[...nodeDaemons(changes.nodeDir), ...pidsInCgroups(changes.cgroupRoot)].join(', ')}`);
}

function removeCgroups(root: string): void {
  // Children before parents: a cgroup with children cannot be removed.
  for (const dir of cgroupDirs(root).sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(dir);
    } catch {
      // A cgroup whose last process is still exiting; the next sweep removes it.
    }
  }
}

function unmountUnder(prefixes: string[]): void {
  const under = mountPoints().filter((mount) => prefixes.some((prefix) => mount === prefix || mount.startsWith(`${prefix}/`)));
  for (const mount of under.sort((a, b) => b.length - a.length)) quietly('umount', ['-l', mount]);
}

/** Rules in other chains that jump to node chains, then the node chains themselves. */
function removeChains(): void {
  for (const command of iptablesCommands) {
    for (const table of iptablesTables) {
      const chains = nodeChains(command, table);
      if (chains.length === 0) continue;
      for (const rule of iptablesRules(command, table)) {
        const match = /^-A (\S+) (.*-j (\S+).*)$/.exec(rule);
        if (match && !nodeChain.test(match[1]!) && nodeChain.test(match[3]!)) {
          quietly(command, ['-w', '-t', table, '-D', match[1]!, ...(match[2]!.match(/"[^"]*"|\S+/g) ?? []).map((word) => word.replace(/^"|"$/g, ''))]);
        }
      }
      for (const chain of chains) quietly(command, ['-w', '-t', table, '-F', chain]);
      for (const chain of chains) quietly(command, ['-w', '-t', table, '-X', chain]);
    }
  }
}

function restoreSysctls(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    const file = join('/proc/sys', name);
    if (existsSync(file) && readFileSync(file, 'utf8').trim() !== value) writeFileSync(file, value);
  }
}

/**
 * Undoes every change a node made to its host, whether it stopped cleanly or died hard: its
 * processes and containers, mounts, network namespaces, the bridge, iptables chains, cgroups,
 * kernel settings and the hard-coded paths it created. Idempotent.
 */
export async function undoHostChanges(changes: HostChanges): Promise<void> {
  await killNodeProcesses(changes);
  const created = hardCodedPaths.filter((path) => !changes.preexistingPaths.includes(path));
  unmountUnder([changes.nodeDir, ...created]);
  if (existsSync('/run/netns')) {
    for (const name of readdirSync('/run/netns').filter((entry) => entry.startsWith('cni-'))) {
      quietly('umount', ['-l', join('/run/netns', name)]);
      rmSync(join('/run/netns', name), { force: true });
    }
  }
  if (links().includes(bridgeName)) quietly('ip', ['link', 'delete', bridgeName]);
  removeChains();
  for (let sweep = 0; sweep < 20 && cgroupDirs(changes.cgroupRoot).length > 0; sweep++) {
    removeCgroups(changes.cgroupRoot);
    await sleep(100);
  }
  restoreSysctls(changes.sysctls);
  for (const path of created) rmSync(path, { recursive: true, force: true });
}
