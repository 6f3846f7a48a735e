import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { repoRoot, toolBinary } from '../../src/local/paths.js';
import { readStackInfo } from './stack/stack-info.js';
import { isAlive } from '../support/processes.js';
import { childrenOf, startEmbedded as startStack, until } from '../support/embedded-stack.js';

// Below the kernel's ephemeral range, where the shared test stack's ports are, and away from a
// developer's own `npm start` (offset 0).
const portOffset = 20_000;
const apiUrl = `http://127.0.0.1:${8080 + portOffset}`;

const startEmbedded = (env: Record<string, string> = {}) => startStack(portOffset, env);

describe('npm start (the embedded stack, worker and API)', () => {
  test('comes up healthy with a Ready kwok node, and Ctrl-C leaves no process behind', async () => {
    const started = startEmbedded();
    try {
      await until(started, 'compute-orchestrator is up.');
      expect(started.output()).toContain(`Temporal Web UI  http://127.0.0.1:${8233 + portOffset}`);
      expect(started.output()).toContain(`REST API         ${apiUrl}`);
      expect(started.output()).not.toContain('GKE simulator');

      const health = await fetch(`${apiUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, temporal: { ok: true }, worker: { ok: true } });

      const kubeconfig = join(started.stateDir, 'kubeconfig');
      const nodes = execFileSync(toolBinary('kubernetes', 'kubectl'), ['--kubeconfig', kubeconfig, 'get', 'nodes', '--no-headers'], { encoding: 'utf8' });
      expect(nodes).toMatch(/^kwok-node-0\s+Ready\s/);
      // The test run's own stack holds the machine's one real node: this one says so and runs simulated.
      const { realNode } = readStackInfo();
      if (realNode) {
        expect(started.output()).toContain(`No real node: the real node is taken by the stack in ${readStackInfo().kubeconfig.replace(/\/kubeconfig$/, '')}`);
        expect(started.output()).toContain('Nodes            kwok-node-0 only (simulated)');
      }
      // The worker's own kubeconfig: the orchestrator's service account of deploy/rbac, not the admin.
      const workerKubeconfig = join(started.stateDir, 'kubernetes', 'kubeconfigs', 'compute-orchestrator');
      const worker = execFileSync(toolBinary('kubernetes', 'kubectl'), ['--kubeconfig', workerKubeconfig, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { encoding: 'utf8' });
      expect(worker).toBe('system:serviceaccount:compute-orchestrator:compute-orchestrator');

      const token = readFileSync(join(started.stateDir, 'api-token'), 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(40);
      // Its payload key: made for this state directory, readable by its owner only, named in the banner.
      const keysFile = join(started.stateDir, 'codec-keys.json');
      expect(statSync(keysFile).mode & 0o777).toBe(0o600);
      expect(started.output()).toContain(`Payload keys     ${relative(repoRoot, keysFile)}  (codec endpoint ${apiUrl}/codec)`);
      expect(started.output()).toContain(`CODEC_KEYS_FILE=${relative(repoRoot, keysFile)} node dist/starter.js list --user alice`);
      const authorized = await fetch(`${apiUrl}/v1/anything`, { headers: { authorization: `Bearer ${token}` } });
      expect(authorized.status).toBe(404);
      expect((await fetch(`${apiUrl}/v1/anything`)).status).toBe(404);

      const children = childrenOf(started.child.pid!);
      // The stack's components, and the worker's Spark submitter (a JVM).
      expect(children.map((child) => child.command).sort()).toEqual(
        ['etcd', 'java', 'kube-apiserver', 'kube-controller', 'kube-scheduler', 'kwok', 'temporal'],
      );
      started.child.kill('SIGINT');
      expect(await started.exited).toBe(0);
      expect(started.output()).toContain('Stopped.');
      expect(children.filter((child) => isAlive(child.pid))).toEqual([]);
    } finally {
      started.child.kill('SIGKILL');
    }
  });

  test('a component that dies is named with the end of its log, and everything else is stopped', async () => {
    const started = startEmbedded();
    try {
      await until(started, 'compute-orchestrator is up.');
      const children = childrenOf(started.child.pid!);
      const scheduler = children.find((child) => child.command === 'kube-scheduler')!;
      process.kill(scheduler.pid, 'SIGKILL');
      expect(await started.exited).toBe(1);
      expect(started.output()).toMatch(/kube-scheduler was killed by SIGKILL\. Last lines of its log:\n.*\S/);
      expect(children.filter((child) => isAlive(child.pid))).toEqual([]);
    } finally {
      started.child.kill('SIGKILL');
    }
  });

  test('a port already taken stops the start with the name of the component and the port', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(6443 + portOffset, '127.0.0.1', () => resolve()));
    const started = startEmbedded();
    try {
      expect(await started.exited).toBe(1);
      expect(started.output()).toContain(`kube-apiserver: port ${6443 + portOffset} on 127.0.0.1 is already in use`);
      expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(started.stateDir);
    } finally {
      blocker.close();
      started.child.kill('SIGKILL');
    }
  });

  test('with TEMPORAL_ADDRESS and KUBECONFIG_LOCAL it starts only the worker and the API against them; GKE_SIMULATOR=1 adds the GKE fake', async () => {
    const { temporalAddress, kubeconfig } = readStackInfo();
    const started = startEmbedded({
      TEMPORAL_ADDRESS: temporalAddress, KUBECONFIG_LOCAL: kubeconfig, TEMPORAL_TASK_QUEUE: 'npm-start-external', GKE_SIMULATOR: '1', GKE_SIMULATOR_OPERATION_SECONDS: '2',
    });
    try {
      await until(started, 'compute-orchestrator is up.');
      // No component of its own: only the worker's Spark submitter.
      const children = childrenOf(started.child.pid!);
      expect(children.map((child) => child.command)).toEqual(['java']);
      expect(started.output()).toContain(`Temporal         ${temporalAddress}`);
      expect(started.output()).not.toContain('Temporal Web UI');
      expect(started.output()).toMatch(/GKE simulator {4}127\.0\.0\.1:\d+ {2}\(NOT Google: a local fake; connection 'simulator', node pool 'small'\)/);
      expect((await fetch(`${apiUrl}/healthz`)).status).toBe(200);

      // A person's first cluster: created on the fake, RUNNING on the local control plane.
      const token = readFileSync(join(started.stateDir, 'api-token'), 'utf8').trim();
      const call = (method: string, path: string, body?: unknown) => fetch(`${apiUrl}${path}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const name = `demo-${process.pid}`;
      expect((await call('POST', '/v1/clusters', { name, provider: 'gke', gke: { connection: 'simulator', nodePools: ['small'] } })).status).toBe(202);
      let phase = '';
      for (let attempt = 0; attempt < 60 && !['RUNNING', 'FAILED'].includes(phase); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        phase = ((await (await call('GET', `/v1/clusters/${name}`)).json()) as { phase: string }).phase;
      }
      expect(phase).toBe('RUNNING');
      expect((await call('DELETE', `/v1/clusters/${name}`)).status).toBe(202);
      started.child.kill('SIGTERM');
      expect(await started.exited).toBe(0);
      expect(children.filter((child) => isAlive(child.pid))).toEqual([]);
    } finally {
      started.child.kill('SIGKILL');
    }
  });
});
