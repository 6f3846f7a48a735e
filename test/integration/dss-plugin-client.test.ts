import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../src/local/paths.js';
import { uniqueName } from './stack/kube.js';
import { pluginToken, startOrchestrator, type Orchestrator } from './stack/orchestrator.js';

const exampleDir = join(repoRoot, 'examples', 'dss-plugin');

/** The example as a DSS plugin runs it: python3 with the plugin's library, the API's URL and the plugin's token in the environment. */
function runExample(orchestrator: Orchestrator, args: string[], token = pluginToken): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('python3', [join(exampleDir, 'example.py'), ...args], {
      env: { PATH: process.env.PATH, COMPUTE_ORCHESTRATOR_URL: orchestrator.url, COMPUTE_ORCHESTRATOR_TOKEN: token },
      timeout: 240_000,
    }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

/** The lines the example printed about one subject (`spark job <id>`, `kernel <id>`), in order. */
function linesOf(output: string, subject: string): string[] {
  return output.split('\n').filter((line) => line.startsWith(`${subject}: `)).map((line) => line.slice(subject.length + 2));
}

/** The ids the example's lines name, in the order it started them. */
function idsOf(output: string, kind: 'spark job' | 'kernel'): string[] {
  return [...new Set([...output.matchAll(new RegExp(`^${kind} (\\S+): started`, 'gm'))].map((match) => match[1]!))];
}

describe("the DSS plugin's client, by its example, against a real API and worker", () => {
  let orchestrator: Orchestrator;
  let run: { code: number; stdout: string; stderr: string };
  const user = uniqueName('dss');

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
    // Drivers that run for a few seconds, so that the job to cancel is caught RUNNING.
    run = await runExample(orchestrator, ['--user', user, '--simulate-run-seconds', '8']);
  }, 300_000);

  afterAll(() => orchestrator?.stop());

  test('ends with status 0, every step as expected', () => {
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain('example: every step ended as expected');
  });

  test('the SparkPi job is followed through its phases to SUCCEEDED and cleaned up', async () => {
    const [jobId] = idsOf(run.stdout, 'spark job');
    const lines = linesOf(run.stdout, `spark job ${jobId}`);
    const running = lines.findIndex((line) => line.startsWith('RUNNING (driver '));
    expect(running).toBeGreaterThan(0);
    // A poll may fall between the end and the cleanup, or not.
    expect(lines.slice(running + 1).every((line) => line.startsWith('SUCCEEDED, exit code 0'))).toBe(true);
    expect(lines.at(-1)).toBe('SUCCEEDED, exit code 0, cleaned up');
    const status = (await orchestrator.call('GET', `/v1/spark-jobs/${jobId}`)).json();
    expect(status).toMatchObject({ user, phase: 'SUCCEEDED', exitCode: 0, cleanedUp: true, namespace: `dss-ns-${user}` });
  });

  test("the kernel's launch steps are printed, it goes RUNNING, then is shut down and cleaned up", async () => {
    const [kernelId] = idsOf(run.stdout, 'kernel');
    const lines = linesOf(run.stdout, `kernel ${kernelId}`);
    const running = lines.findIndex((line) => line.startsWith('RUNNING in pod '));
    const status = (await orchestrator.call('GET', `/v1/kernels/${kernelId}`)).json();
    expect(status).toMatchObject({ user, phase: 'STOPPED', cleanedUp: true });
    // Kubernetes' events come as the launch sees them, so only the orchestrator's own steps are certain by RUNNING.
    expect(lines.slice(1, running).filter((line) => line.startsWith('[orchestrator] '))).toEqual([
      `[orchestrator] namespace ${status.namespace} created`, '[orchestrator] role binding kernel-controller created',
      expect.stringMatching(/^\[orchestrator\] pod running with IP 10\./),
    ]);
    expect(lines[running]).toMatch(new RegExp(`^RUNNING in pod ${status.pod} at 10\\.`));
    expect(lines.slice(running + 1)).toEqual(['shutdown requested', 'STOPPED, cleaned up']);
  });

  test('the job cancelled while RUNNING ends CANCELLED with the reason, cleaned up', async () => {
    const [, cancelledId] = idsOf(run.stdout, 'spark job');
    expect(linesOf(run.stdout, `spark job ${cancelledId}`)).toEqual([
      'started, to be cancelled once it runs', 'cancel requested while RUNNING',
      'CANCELLED, error: cancelled by integration-test-plugin: aborted by the user in DSS, cleaned up',
    ]);
    const status = (await orchestrator.call('GET', `/v1/spark-jobs/${cancelledId}`)).json();
    expect(status).toMatchObject({ phase: 'CANCELLED', cleanedUp: true });
  });

  test('a refused request is the typed exception naming the field', () => {
    expect(linesOf(run.stdout, 'refused request')).toEqual([expect.stringMatching(/^400 VALIDATION field=app\.mainApplicationFile: app\.mainApplicationFile must match pattern/)]);
  });

  test('an unknown token is the typed exception, reported, not a crash', async () => {
    const refused = await runExample(orchestrator, ['--user', user, '--only', 'refused'], 'not-a-known-token');
    expect(refused).toMatchObject({ code: 1, stderr: '' });
    expect(refused.stdout).toContain('refused: AuthenticationError: 401 UNAUTHENTICATED: unknown bearer token');
  });
});
