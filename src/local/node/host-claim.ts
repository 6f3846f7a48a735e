import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { undoHostChanges, type HostChanges } from './host-cleanup.js';
import { existingPaths, nodeChains, readSysctls } from './host-state.js';

/**
 * The machine-wide claim on the one real node a host can run: who holds it, and what the host
 * looked like before, so that the holder (or, after it died hard, the next start) can undo it.
 * Under /run, which a reboot empties together with everything the node left.
 */
export const claimFile = '/run/compute-orchestrator-node.json';

export interface NodeClaim extends HostChanges {
  pid: number;
  /** The holder's start time (clock ticks since boot): a reused pid is not the holder. */
  pidStart: string;
  stateDir: string;
  claimedAt: string;
}

function processStart(pid: number): string | undefined {
  try {
    // Field 22 of /proc/PID/stat, counted after the command name (which may hold spaces).
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
  } catch {
    return undefined;
  }
}

export const takenBy = (holder: NodeClaim): string => `the real node is taken by the stack in ${holder.stateDir} (pid ${holder.pid})`;

function readClaim(): NodeClaim | undefined {
  if (!existsSync(claimFile)) return undefined;
  try {
    return JSON.parse(readFileSync(claimFile, 'utf8')) as NodeClaim;
  } catch {
    return undefined;
  }
}

/** The stack holding the real node right now, if any (a dead holder's claim is no hold). */
export function liveHolder(): NodeClaim | undefined {
  const claim = readClaim();
  return claim && processStart(claim.pid) === claim.pidStart ? claim : undefined;
}

export type ClaimResult =
  | { claimed: true; claim: NodeClaim; cleared?: NodeClaim }
  | { claimed: false; reason: string };

/**
 * Claims the real node for the stack in `stateDir`. A claim left by a holder that died is undone
 * first (its host state cleared, reported in `cleared`); one held by a live stack is refused.
 */
export async function claimNode(stateDir: string, nodeDir: string, cgroupRoot: string): Promise<ClaimResult> {
  const holder = liveHolder();
  if (holder && holder.pid !== process.pid) return { claimed: false, reason: takenBy(holder) };
  const previous = readClaim();
  let cleared: NodeClaim | undefined;
  if (previous) {
    await undoHostChanges(previous);
    rmSync(claimFile, { force: true });
    cleared = previous;
  }
  const foreignChains = nodeChains('iptables', 'nat');
  if (foreignChains.length > 0) {
    return { claimed: false, reason: `this host already has Kubernetes iptables chains (${foreignChains.slice(0, 3).join(', ')}…) that are not ours` };
  }
  if (existsSync('/var/lib/kubelet')) return { claimed: false, reason: 'this host already has a kubelet (/var/lib/kubelet exists)' };
  const claim: NodeClaim = {
    pid: process.pid, pidStart: processStart(process.pid)!, stateDir: resolve(stateDir), claimedAt: new Date().toISOString(),
    nodeDir: resolve(nodeDir), cgroupRoot, sysctls: readSysctls(), preexistingPaths: existingPaths(),
  };
  writeFileSync(claimFile, JSON.stringify(claim, null, 2), { mode: 0o600 });
  return { claimed: true, claim, ...(cleared ? { cleared } : {}) };
}

/** Undoes the node's host changes and gives the claim up. */
export async function releaseNode(claim: NodeClaim): Promise<void> {
  await undoHostChanges(claim);
  if (readClaim()?.pid === claim.pid) rmSync(claimFile, { force: true });
}

/** A dead holder's leftovers, cleared without claiming (before a stack directory is deleted). */
export async function clearDeadNode(): Promise<NodeClaim | undefined> {
  const previous = readClaim();
  if (!previous || liveHolder()) return undefined;
  await undoHostChanges(previous);
  rmSync(claimFile, { force: true });
  return previous;
}
