import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { toolBinary } from '../../src/local/paths.js';
import { claimFile, liveHolder, takenBy } from '../../src/local/node/host-claim.js';
import { whyNoRealNode } from '../../src/local/node/host-support.js';
import { imagesDir } from '../../src/local/node/index.js';
import { hostSnapshot } from '../../src/local/node/host-state.js';
import { nodeCgroupRoot } from '../../src/local/node/kubelet.js';
import { bridgeName } from '../../src/local/node/settings.js';
import { startEmbedded, until } from '../support/embedded-stack.js';

// Away from a developer's `npm start` (offset 0) and the integration tests' own (20000).
const portOffset = 21_000;
const cgroupRoots = [nodeCgroupRoot, 'k8s.io', 'kubepods'];

/** Why these tests cannot run here: no real node possible, or another stack holds it. */
function unavailable(): string | undefined {
  const holder = liveHolder();
  return whyNoRealNode(imagesDir()) ?? (holder ? takenBy(holder) : undefined);
}

const reason = unavailable();
const describeWithNode = reason ? describe.skip : describe;

describeWithNode(`the real node and its host${reason ? ` (skipped: ${reason})` : ''}`, () => {
  test('a node killed hard leaves host state that the next start clears, and a clean stop leaves the host as it found it', async () => {
    const before = hostSnapshot(cgroupRoots);
    const kubectl = (stateDir: string, ...args: string[]): string =>
      execFileSync(toolBinary('kubernetes', 'kubectl'), ['--kubeconfig', join(stateDir, 'kubeconfig'), ...args], { encoding: 'utf8' });

    const first = startEmbedded(portOffset);
    try {
      await until(first, 'compute-orchestrator is up.', 240_000);
      expect(first.output()).toContain('Nodes            node-0 (real containers) and kwok-node-0 (simulated, for pods that ask)');
      // A real container, so that a hard death leaves a shim, a network namespace and mounts behind.
      kubectl(first.stateDir, 'run', 'sleeper', '--image=apache/spark:4.0.1', '--image-pull-policy=IfNotPresent', '--restart=Never', '--command', '--', 'sleep', '3600');
      kubectl(first.stateDir, 'wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=120s');
      expect(kubectl(first.stateDir, 'get', 'pod', 'sleeper', '-o', 'jsonpath={.spec.nodeName}')).toBe('node-0');
      first.child.kill('SIGKILL');
      await first.exited;
    } finally {
      first.child.kill('SIGKILL');
    }
    const left = hostSnapshot(cgroupRoots);
    expect(left).not.toEqual(before);
    expect((left.links as string[])).toContain(bridgeName);
    expect(existsSync(claimFile)).toBe(true);

    const second = startEmbedded(portOffset, {}, first.stateDir);
    try {
      await until(second, 'compute-orchestrator is up.', 240_000);
      expect(second.output()).toMatch(/found host state left by a real node that died \(stack .*, pid \d+, claimed .*\) and cleared it/);
      expect(second.output()).toContain('Nodes            node-0 (real containers)');
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    } finally {
      second.child.kill('SIGKILL');
    }
    expect(hostSnapshot(cgroupRoots)).toEqual(before);
    expect(existsSync(claimFile)).toBe(false);
  }, 600_000);
});
