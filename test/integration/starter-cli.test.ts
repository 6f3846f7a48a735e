import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../src/local/paths.js';
import { uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { stackEnv } from './stack/stack-info.js';

const run = promisify(execFile);

describe('the starter CLI (compiled, as a person runs it)', () => {
  let orchestrator: Orchestrator;
  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });
  afterAll(() => orchestrator.stop());

  const starter = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const env = { ...process.env, ...stackEnv(), TEMPORAL_TASK_QUEUE: orchestrator.taskQueue };
    try {
      const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'dist', 'starter.js'), ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const app = ['--image', 'apache/spark:4.0.1', '--class', 'org.apache.spark.examples.SparkPi', '--conf', 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-run-seconds=4'];

  test('submit follows the phases to SUCCEEDED and exits 0; status and list show the job', async () => {
    const user = uniqueName('cli');
    const jobId = uniqueName('cli-job');
    const submitted = await starter('submit', '--user', user, '--job-id', jobId, ...app, 'local:///opt/spark/examples/jars/spark-examples.jar', '10');
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toContain(`job ${jobId}  workflow spark-job-${jobId}  namespace dss-ns-${user}`);
    const phases = [...submitted.stdout.matchAll(/Z {2}([A-Z]+)/g)].map((match) => match[1]);
    expect(phases).toEqual(expect.arrayContaining(['RUNNING', 'SUCCEEDED']));
    expect(phases.at(-1)).toBe('SUCCEEDED');
    expect(submitted.stdout).toContain('SUCCEEDED (cleaned up)');
    expect(submitted.stdout).toContain('driver exit code: 0');

    const status = await starter('status', jobId);
    expect(JSON.parse(status.stdout)).toMatchObject({ jobId, user, phase: 'SUCCEEDED', cleanedUp: true, exitCode: 0 });

    let listed = '';
    for (let attempt = 0; attempt < 20 && !listed.includes('COMPLETED'); attempt++) {
      listed = (await starter('list', '--user', user, '--kind', 'spark-job')).stdout;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(listed).toMatch(new RegExp(`^spark-job-${jobId}\\tsparkJob\\tCOMPLETED\\t\\S+\\t${user}$`, 'm'));
  });

  test('a failing driver: exit 1 with the exit code; cancel: exit 3 with the reason', async () => {
    const failing = await starter('submit', '--user', uniqueName('cli'), ...app, '--conf', 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-exit-code=4', 'local:///opt/spark/examples/jars/spark-examples.jar');
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('driver exit code: 4');

    const jobId = uniqueName('cli-cancel');
    const detached = await starter('submit', '--detach', '--user', uniqueName('cli'), '--job-id', jobId, ...app, '--conf', 'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-run-seconds=300', 'local:///opt/spark/examples/jars/spark-examples.jar');
    expect(detached.code).toBe(0);
    expect((await starter('cancel', jobId, '--reason', 'not needed')).stdout).toContain(`cancel requested for job ${jobId}`);
    const waited = await starter('status', jobId, '--wait');
    expect(waited.code).toBe(3);
    expect(waited.stdout).toContain('CANCELLED (cleaned up)');
    expect(waited.stdout).toMatch(/error: cancelled by starter \(.*\): not needed/);
  });

  test('bad input exits 2 naming the field; an unknown job exits 1', async () => {
    const noFile = await starter('submit', '--user', 'u', '--image', 'x', '/home/me/app.jar');
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/^starter: app\.mainApplicationFile /);
    const system = await starter('submit', '--user', 'u', '--image', 'x', '--namespace-template', '${adminProperty:ns}', '--admin-property', 'ns=kube-system', 'local:///a.jar');
    expect(system.code).toBe(2);
    expect(system.stderr).toContain("resolves to the protected namespace 'kube-system'");
    const reserved = await starter('submit', '--user', 'u', '--image', 'x', '--conf', 'spark.master=local', 'local:///a.jar');
    expect(reserved.stderr).toContain('app.conf.spark.master is set by the orchestrator');
    // The CLI starts a job as the API does: the same checks, the same words.
    const noCluster = await starter('submit', '--user', 'u', '--image', 'x', '--cluster', 'no-such', 'local:///a.jar');
    expect(noCluster.code).toBe(2);
    expect(noCluster.stderr.trim()).toBe("starter: no cluster 'no-such'");
    const reservedId = await starter('submit', '--user', 'u', '--image', 'x', '--job-id', 'quota-u', 'local:///a.jar');
    expect(reservedId.code).toBe(2);
    expect(reservedId.stderr.trim()).toBe("starter: jobId must not start with 'quota-': such ids are the user quotas' own");
    const unknown = await starter('status', 'no-such-job');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe("starter: no spark job 'no-such-job'");
  });

  test('kernel start waits until RUNNING; status, touch, list and stop', async () => {
    const user = uniqueName('cli-kernel');
    const kernelId = uniqueName('k');
    const started = await starter('kernel', 'start', '--user', user, '--kernel-id', kernelId, '--kernel', 'ir', '--env', 'KERNEL_MEMORY=1Gi');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(new RegExp(`^kernel ${kernelId} {2}workflow kernel-${kernelId} {2}namespace \\S+\nRUNNING {2}pod \\S+ {2}IP 10\\.244\\.`));
    const status = JSON.parse((await starter('kernel', 'status', kernelId)).stdout);
    expect(status).toMatchObject({ kernelId, user, kernelName: 'ir', phase: 'RUNNING' });
    expect((await starter('kernel', 'touch', kernelId)).stdout).toContain(`activity recorded for kernel ${kernelId}`);
    let listed = '';
    for (let attempt = 0; attempt < 20 && !listed.includes(kernelId); attempt++) {
      listed = (await starter('kernel', 'list', '--user', user)).stdout;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // A simulated kernel has no execution state: nobody reaches it, nor can restart it.
    expect(listed).toMatch(new RegExp(`^${kernelId}\\tir\\tRUNNING\\t-\\t${user}\\t`, 'm'));
    const restart = await starter('kernel', 'restart', kernelId);
    expect(restart.code).toBe(1);
    expect(restart.stderr).toContain('cannot be restarted by a client: nobody can reach it');
    expect((await starter('kernel', 'stop', kernelId, '--reason', 'done')).stdout).toContain(`shutdown requested for kernel ${kernelId}`);
    for (let attempt = 0; attempt < 40; attempt++) {
      const answer = JSON.parse((await starter('kernel', 'status', kernelId)).stdout);
      if (answer.cleanedUp) {
        expect(answer).toMatchObject({ phase: 'STOPPED', error: expect.stringMatching(/^shut down by starter \(.*\): done$/) });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error('the kernel was not stopped');
  });

  test('kernel start refuses bad input naming the field', async () => {
    const root = await starter('kernel', 'start', '--user', 'u', '--env', 'KERNEL_UID=0');
    expect(root.code).toBe(1);
    expect(root.stderr.trim()).toBe('starter: env.KERNEL_UID 0 is prohibited');
    const noCluster = await starter('kernel', 'start', '--user', 'u', '--cluster', 'no-such');
    expect(noCluster.code).toBe(2);
    expect(noCluster.stderr.trim()).toBe("starter: no cluster 'no-such'");
    const unknown = await starter('kernel', 'start', '--user', 'u', '--kernel', 'cobol');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown kernel 'cobol'");
  });
});
