import { describe, expect } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readAuditEvents, type AuditEvent } from '../../../src/local/control-plane/audit-log.js';
import { nodePaths } from '../../../src/local/node/settings.js';
import { eventually } from './kube.js';
import { readStackInfo, testStateDir } from './stack-info.js';

const run = promisify(execFile);

/**
 * Tests of real containers run when the stack has the real node. On a machine that cannot run
 * one, or while another stack (`npm start`) holds it, they are reported as skipped with the reason.
 */
export function describeOnRealNode(name: string, body: () => void): void {
  const info = readStackInfo();
  if (info.realNode) {
    describe(name, body);
  } else {
    describe.skip(`${name} (no real node: ${info.kwokOnlyReason})`, body);
  }
}

/** Containers the node's containerd holds for pods of `namespace` (`ctr -n k8s.io containers ls`). */
export async function containersOf(namespace: string): Promise<string[]> {
  const { stdout } = await run('ctr', ['--address', nodePaths(testStateDir).containerdSocket, '-n', 'k8s.io', 'containers', 'list', '--quiet',
    `labels."io.kubernetes.pod.namespace"==${namespace}`]);
  return stdout.split('\n').filter(Boolean);
}

/**
 * Waits until the node holds no container of `namespace`. The kubelet removes the exited
 * containers of deleted pods in its container GC, which runs once a minute (a constant of the
 * kubelet), so a wait shorter than two periods fails whenever a pod ends just after a pass.
 */
export async function containersGone(namespace: string): Promise<void> {
  await eventually(() => containersOf(namespace), (containers) => containers.length === 0, 150_000);
}

/** The API server's audit log (metadata only), as operators read it. */
export function auditEvents(): AuditEvent[] {
  return readAuditEvents(join(testStateDir, 'logs'));
}

export interface SeenPod {
  name: string;
  role?: string;
  node?: string;
  exitCode?: number;
}

/** Follows every pod of a namespace while a job runs: executors are gone once the job ends. */
export function watchPods(core: CoreV1Api, namespace: string): { seen: Map<string, SeenPod>; stop: () => void } {
  const seen = new Map<string, SeenPod>();
  let running = true;
  void (async () => {
    while (running) {
      const pods = await core.listNamespacedPod({ namespace }).catch(() => undefined);
      for (const pod of pods?.items ?? []) {
        const name = pod.metadata!.name!;
        const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
        seen.set(name, {
          name,
          role: pod.metadata?.labels?.['spark-role'],
          node: pod.spec?.nodeName ?? seen.get(name)?.node,
          exitCode: terminated?.exitCode ?? seen.get(name)?.exitCode,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  })();
  return { seen, stop: () => (running = false) };
}

/**
 * SparkPi's answer in a driver log, checked as an estimate: a Monte Carlo run of a few million
 * samples lands within a few thousandths of pi, often below 3.14 (3.1396 is a correct run).
 */
export function expectPiEstimate(log: string): void {
  const estimate = /Pi is roughly (\d+\.\d+)/.exec(log)?.[1];
  expect(estimate).toBeDefined();
  expect(Math.abs(Number(estimate) - Math.PI)).toBeLessThan(0.02);
}
