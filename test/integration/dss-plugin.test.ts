import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, toolBinary } from '../../src/local/paths.js';
import { startGkeFixture, type GkeFixture } from './stack/gke-fixture.js';
import { eventually, uniqueName } from './stack/kube.js';
import { pluginToken, startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { sparkPiApp } from './stack/spark-pi.js';
import { readStackInfo } from './stack/stack-info.js';

const run = promisify(execFile);
const plugin = join(repoRoot, 'dss-plugin');
const connection = { mode: 'PRESET', name: 'orchestrator' };

interface HostAnswer {
  code: number | null;
  answer: any;
  stderr: string;
}

/**
 * The DSS plugin run by a stand-in DSS host (dss-plugin/tests/dss_host.py: the plugin's classes and
 * scripts called as DSS calls them, with the `dataiku` stand-in) against a real API and worker, the
 * local GKE API and the real control plane.
 */
describe('the DSS plugin: clusters, macros and the Spark step (real API, worker, local GKE API)', () => {
  let orchestrator: Orchestrator;
  let fixture: GkeFixture;
  let home: string;
  let bin: string;
  const user = uniqueName('dss');
  /** Everything the host processes printed, to look for the token in. */
  const printed: string[] = [];
  const staticPreset = uniqueName('dss-static').slice(0, 30);

  /** `dss_host.py <command> ...` as a process of its own, its JSON answer parsed when it ends. */
  const host = (args: string[]): { child: ChildProcess; ended: Promise<HostAnswer> } => {
    const child = spawn('python3', [join(plugin, 'tests', 'dss_host.py'), ...args], {
      env: {
        PATH: `${bin}${delimiter}${process.env.PATH}`, DSS_STANDIN_HOME: home, DSS_STANDIN_USER: user,
        PYTHONPATH: [join(plugin, 'python-lib'), join(plugin, 'tests')].join(delimiter),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ended = new Promise<HostAnswer>((resolve) => child.on('close', (code) => {
      printed.push(stdout, stderr);
      resolve({ code, answer: stdout ? JSON.parse(stdout) : undefined, stderr });
    }));
    return { child, ended };
  };
  const dss = (...args: string[]): Promise<HostAnswer> => host(args).ended;
  const startCluster = (kind: string, clusterId: string, config: Record<string, unknown>) => dss('cluster-start', kind, clusterId, clusterId, JSON.stringify({ connection, ...config }));
  const macro = (runnable: string, config: Record<string, unknown>) => dss('macro', runnable, JSON.stringify(config));

  const clusterStatus = async (name: string): Promise<any> => (await orchestrator.call('GET', `/v1/clusters/${name}`)).json();
  const calls = (method: string) => fixture.gke.calls().filter((call) => call.method === method).length;
  const gkeConfig = (name: string) => ({ clusterName: name, gkeConnection: 'simulator', nodePools: ['small'], idleTtlSeconds: 0 });

  beforeAll(async () => {
    const kubeconfig = readStackInfo().workerKubeconfig;
    fixture = await startGkeFixture({ operationSeconds: 3, staticClusters: { [staticPreset]: { kubeconfig } } });
    orchestrator = await startOrchestrator({ CLUSTER_PRESETS_FILE: fixture.presetsFile });
    home = mkdtempSync(join(tmpdir(), 'dss-host-'));
    // What `gcloud` would install on the DSS host: here it hands kubectl the fake GKE's token.
    bin = join(home, 'bin');
    mkdirSync(bin);
    const tokenFile = JSON.parse(readFileSync(fixture.presetsFile, 'utf8')).gkeConnections.simulator.credentials.path as string;
    writeFileSync(join(bin, 'gke-gcloud-auth-plugin'), [
      '#!/bin/sh',
      `printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}' "$(cat '${tokenFile}')"`,
      '',
    ].join('\n'));
    chmodSync(join(bin, 'gke-gcloud-auth-plugin'), 0o755);
    const preset = await dss('preset', 'orchestrator', JSON.stringify({ orchestratorUrl: orchestrator.url, orchestratorToken: pluginToken }));
    expect(preset.code).toBe(0);
  });
  afterAll(async () => {
    await orchestrator?.stop();
    await fixture?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  describe('a GKE cluster created by create-cluster', () => {
    const clusterId = 'analytics';
    const name = uniqueName('dss-gke').slice(0, 30);
    let started: HostAnswer;
    let poolsBefore: unknown;

    beforeAll(async () => {
      started = await startCluster('create-cluster', clusterId, gkeConfig(name));
    }, 180_000);

    test("start() follows it to RUNNING and returns DSS's overrides, with a kubeconfig that kubectl uses against the cluster", async () => {
      expect({ code: started.code, error: started.answer?.error }).toEqual({ code: 0, error: undefined });
      const { overrides, data } = started.answer;
      const context = `gke_local-simulator_europe-west1_${name}`;
      const path = join(home, 'clusters', clusterId, `kubeconfig-${name}.json`);
      expect(overrides).toEqual({ spark: { sparkEnabled: true }, container: { executionConfigsGenericOverrides: { kubeCtlContext: context, kubeConfigPath: path } } });
      expect(data).toMatchObject({ cluster: name, provider: 'gke', kubeConfigPath: path, kubeCtlContext: context });
      expect(await clusterStatus(name)).toMatchObject({ phase: 'RUNNING', provider: 'gke' });

      const written = JSON.parse(readFileSync(path, 'utf8'));
      expect(written.users).toEqual([{ name: context, user: { exec: expect.objectContaining({ command: 'gke-gcloud-auth-plugin' }) } }]);
      const kubectl = await run(toolBinary('kubernetes', 'kubectl'), ['--kubeconfig', path, '--context', context, 'get', 'namespace', 'kube-system', '-o', 'name'], {
        env: { PATH: `${bin}${delimiter}${process.env.PATH}`, HOME: home },
      });
      expect(kubectl.stdout.trim()).toBe('namespace/kube-system');
    });

    test('the inspect macro shows its pool; the resize macro resizes it 1 → 3 and waits for the end', async () => {
      const before = await macro('inspect-node-pools', { clusterId });
      expect(before.code).toBe(0);
      expect(before.answer.result).toMatch(/<tr><td>small<\/td><td>e2-standard-4<\/td><td>1<\/td>/);
      const resizesBefore = calls('SetNodePoolSize');

      const resized = await macro('resize-node-pool', { clusterId, nodePool: 'small', nodeCount: 3 });
      expect({ code: resized.code, error: resized.answer?.error }).toEqual({ code: 0, error: undefined });
      expect(resized.answer.result).toMatch(/<li>resize small to 3 nodes: DONE \(requested [^)]+, ended [^)]+\)<\/li>/);
      expect(calls('SetNodePoolSize') - resizesBefore).toBe(1);

      const after = await macro('inspect-node-pools', { clusterId });
      expect(after.answer.result).toMatch(/<tr><td>small<\/td><td>e2-standard-4<\/td><td>3<\/td>/);
      expect((await clusterStatus(name)).nodePools).toEqual([expect.objectContaining({ name: 'small', nodeCount: 3, state: 'RUNNING' })]);
    }, 120_000);

    test('the add macro adds a pool from a preset and waits for the end', async () => {
      const added = await macro('add-node-pool', { clusterId, nodePool: 'extra', preset: 'small' });
      expect({ code: added.code, error: added.answer?.error }).toEqual({ code: 0, error: undefined });
      expect(added.answer.result).toMatch(/<tr><td>extra<\/td><td>e2-standard-4<\/td><td>1<\/td>/);
      expect(calls('CreateNodePool')).toBe(1);
      poolsBefore = (await clusterStatus(name)).nodePools;
      expect(poolsBefore).toEqual([expect.objectContaining({ name: 'small', nodeCount: 3 }), expect.objectContaining({ name: 'extra', nodeCount: 1, state: 'RUNNING' })]);
    }, 120_000);

    test('bad input through the macros is the error naming the field, and changes nothing', async () => {
      const operationsBefore = (await clusterStatus(name)).nodePoolOperations;
      const changesBefore = { resizes: calls('SetNodePoolSize'), additions: calls('CreateNodePool') };
      const refusals = await Promise.all([
        macro('resize-node-pool', { clusterId, nodePool: 'small', nodeCount: -1 }),
        macro('resize-node-pool', { clusterId, nodePool: 'nope', nodeCount: 2 }),
        macro('resize-node-pool', { clusterId, nodeCount: 2 }),
        macro('add-node-pool', { clusterId, nodePool: 'more', preset: 'no-such-preset' }),
      ]);
      const fieldOf = (error: { field?: string; message: string }) => error.field ?? error.message.split(':')[0];
      expect(refusals.map(({ code, answer }) => ({ code, type: answer.error.type, field: fieldOf(answer.error) }))).toEqual([
        { code: 1, type: 'ValidationError', field: 'nodeCount' },
        { code: 1, type: 'ValidationError', field: 'pool' },
        { code: 1, type: 'PluginError', field: 'nodePool' },
        { code: 1, type: 'ValidationError', field: 'preset' },
      ]);
      const after = await clusterStatus(name);
      expect({ pools: after.nodePools, operations: after.nodePoolOperations }).toEqual({ pools: poolsBefore, operations: operationsBefore });
      expect({ resizes: calls('SetNodePoolSize'), additions: calls('CreateNodePool') }).toEqual(changesBefore);
    }, 120_000);

    test('stop() deletes it and waits for DELETED; its kubeconfig is gone', async () => {
      const deletesBefore = calls('DeleteCluster');
      const stopped = await dss('cluster-stop', clusterId);
      expect({ code: stopped.code, answer: stopped.answer }).toEqual({ code: 0, answer: { stopped: clusterId } });
      expect(await clusterStatus(name)).toMatchObject({ phase: 'DELETED' });
      expect(calls('DeleteCluster') - deletesBefore).toBeGreaterThanOrEqual(1);
      expect(existsSync(started.answer.data.kubeConfigPath)).toBe(false);
    }, 180_000);
  });

  test('start() killed while PROVISIONING and called again follows the same creation: one CreateCluster', async () => {
    const clusterId = 'interrupted';
    const name = uniqueName('dss-kill').slice(0, 30);
    const createsBefore = calls('CreateCluster');
    const first = host(['cluster-start', 'create-cluster', clusterId, clusterId, JSON.stringify({ connection, ...gkeConfig(name) })]);
    await eventually(() => clusterStatus(name), (status) => status.phase === 'PROVISIONING' && calls('CreateCluster') > createsBefore, 60_000);
    first.child.kill('SIGKILL');
    expect((await first.ended).code).toBeNull();

    const again = await startCluster('create-cluster', clusterId, gkeConfig(name));
    expect({ code: again.code, error: again.answer?.error }).toEqual({ code: 0, error: undefined });
    expect(await clusterStatus(name)).toMatchObject({ phase: 'RUNNING' });
    expect(calls('CreateCluster') - createsBefore).toBe(1);

    expect((await dss('cluster-stop', clusterId)).code).toBe(0);
    expect(await clusterStatus(name)).toMatchObject({ phase: 'DELETED' });
  }, 240_000);

  test('attach-cluster attaches a static preset and detaches it, deleting nothing', async () => {
    const clusterId = 'onprem';
    const deletesBefore = calls('DeleteCluster');
    const attached = await startCluster('attach-cluster', clusterId, { staticCluster: staticPreset });
    expect({ code: attached.code, error: attached.answer?.error }).toEqual({ code: 0, error: undefined });
    expect(attached.answer.data).toMatchObject({ cluster: staticPreset, provider: 'static' });
    expect(attached.answer.overrides.container.executionConfigsGenericOverrides).toEqual({
      kubeCtlContext: expect.any(String), kubeConfigPath: join(home, 'clusters', clusterId, `kubeconfig-${staticPreset}.json`),
    });
    expect(await clusterStatus(staticPreset)).toMatchObject({ phase: 'RUNNING', provider: 'static', attached: true });

    const detached = await dss('cluster-stop', clusterId);
    expect(detached.code).toBe(0);
    expect(await clusterStatus(staticPreset)).toMatchObject({ phase: 'DELETED', attached: false });
    expect(calls('DeleteCluster')).toBe(deletesBefore);
  }, 120_000);

  test('an attach naming no preset is refused before any call, naming the setting', async () => {
    const refused = await startCluster('attach-cluster', 'unnamed', { staticCluster: ' ' });
    expect({ code: refused.code, error: refused.answer.error }).toEqual({
      code: 1, error: { type: 'PluginError', message: "staticCluster: name the orchestrator's static cluster preset to attach" },
    });
  });

  describe('the Spark job scenario step', () => {
    const step = (seconds: number) => JSON.stringify({ connection, ...sparkPiApp(seconds), args: ['10'], timeoutSeconds: 600 });
    const jobsOfUser = async (): Promise<any[]> => (await orchestrator.call('GET', `/v1/spark-jobs?user=${user}`)).json().jobs;

    test("runs the job as the scenario's user and ends when it has SUCCEEDED", async () => {
      const ran = await dss('step', 'spark-job', step(1));
      expect({ code: ran.code, answer: ran.answer }).toEqual({ code: 0, answer: { step: 'spark-job', ended: true } });
      const [listed] = await jobsOfUser();
      expect((await orchestrator.call('GET', `/v1/spark-jobs/${listed.jobId}`)).json()).toMatchObject({ user, phase: 'SUCCEEDED', cleanedUp: true });
    }, 120_000);

    test('aborted by DSS (SIGTERM) while the job runs: the job is cancelled and cleaned up', async () => {
      const known = new Set((await jobsOfUser()).map((job) => job.jobId));
      const running = host(['step', 'spark-job', step(120)]);
      const job = await eventually(async () => (await jobsOfUser()).find((candidate) => !known.has(candidate.jobId)), (found) => found?.phase === 'RUNNING', 60_000);
      running.child.kill('SIGTERM');
      const aborted = await running.ended;
      expect({ code: aborted.code, type: aborted.answer.error.type }).toEqual({ code: 1, type: 'KeyboardInterrupt' });
      expect(aborted.stderr).toContain(`spark job ${job!.jobId}: aborted in DSS, cancelling it`);
      const status = (await orchestrator.call('GET', `/v1/spark-jobs/${job!.jobId}`)).json();
      expect(status).toMatchObject({ phase: 'CANCELLED', cleanedUp: true, error: expect.stringContaining('aborted in DSS') });
    }, 180_000);
  });

  test("a client-mode lease's kubeconfig works in the job's namespace while it lives, and its token is refused once it ends", async () => {
    // What a DSS Spark driver in client mode gets: python3 with the plugin's library, as in a recipe.
    const script = [
      'import json, shutil, subprocess, sys',
      'from compute_orchestrator import Client, SparkIdentityLease',
      'kubectl, user, kept = sys.argv[1:4]',
      'def can_i(path, namespace):',
      '    done = subprocess.run([kubectl, "--kubeconfig", path, "auth", "can-i", "create", "pods", "-n", namespace], capture_output=True, text=True)',
      '    return (done.stdout + done.stderr).strip()',
      'with SparkIdentityLease(Client.from_settings(), user, lease_seconds=60) as lease:',
      '    shutil.copy(lease.kubeconfig_path, kept)',
      '    during = {"jobId": lease.job_id, "namespace": lease.namespace,',
      '              "here": can_i(lease.kubeconfig_path, lease.namespace), "elsewhere": can_i(lease.kubeconfig_path, "kube-system")}',
      'print(json.dumps(during))',
    ].join('\n');
    const kept = join(home, 'lease-kubeconfig-copy');
    const leaseUser = uniqueName('lease');
    const ran = await run('python3', ['-c', script, toolBinary('kubernetes', 'kubectl'), leaseUser, kept], {
      env: { PATH: process.env.PATH, HOME: home, PYTHONPATH: join(plugin, 'python-lib'), COMPUTE_ORCHESTRATOR_URL: orchestrator.url, COMPUTE_ORCHESTRATOR_TOKEN: pluginToken },
    });
    printed.push(ran.stdout, ran.stderr);
    const result = JSON.parse(ran.stdout);
    expect(result).toMatchObject({ namespace: `dss-ns-${leaseUser}`, here: 'yes', elsewhere: expect.stringMatching(/^no/) });
    // Leaving the block waited for the identity's removal.
    expect((await orchestrator.call('GET', `/v1/spark-jobs/${result.jobId}`)).json()).toMatchObject({ deployMode: 'client', phase: 'SUCCEEDED', cleanedUp: true });
    // The API server caches a token's authentication for 10 s.
    const canI = () => run(toolBinary('kubernetes', 'kubectl'), ['--kubeconfig', kept, 'auth', 'can-i', 'create', 'pods', '-n', result.namespace], { env: { HOME: home } })
      .then(({ stdout }) => stdout, (error: { stdout: string; stderr: string }) => error.stdout + error.stderr);
    expect(await eventually(canI, (answer) => answer.includes('Unauthorized'), 30_000)).toContain('Unauthorized');
    rmSync(kept);
  }, 120_000);

  test('no API token in anything the host printed, nor in its files but the connection preset', async () => {
    expect(printed.length).toBeGreaterThan(10);
    expect(printed.filter((output) => output.includes(pluginToken))).toEqual([]);
    const files = (await run('grep', ['-rl', pluginToken, home]).catch((error: { stdout: string }) => ({ stdout: error.stdout }))).stdout.trim().split('\n');
    expect(files).toEqual([join(home, 'presets', 'orchestrator.json')]);
  });
});
