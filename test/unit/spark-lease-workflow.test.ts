import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { LeaseTokenCall, SealedLeaseToken } from '../../src/activities/lease-tokens.js';
import type { SparkLeaseInput } from '../../src/domain/spark-job.js';
import { sparkJobWorkflowId } from '../../src/domain/workflow-ids.js';
import { cancelSparkJobSignal, sparkJobStatusQuery } from '../../src/workflows/spark-job.js';
import { endSparkJobSignal, issueLeaseTokenUpdate, renewSparkLeaseUpdate, sparkLease } from '../../src/workflows/spark-lease.js';
import { poll, runStartedAt, WorkflowEnvironment, type ActivityMocks, type ExecuteOptions, type History } from './workflow-environment.js';

// Nothing runs while a lease is held, so the test server skips the time to its expiry as soon as
// the test awaits the result; the tests that renew act in wall time first, with short leases.

function leaseInput(jobId: string, overrides: Partial<SparkLeaseInput> = {}): SparkLeaseInput {
  return { jobId, user: 'alice', cluster: 'local', namespace: 'dss-ns-alice', autoCreateNamespace: true, leaseSeconds: 60, ...overrides };
}

const done = async (): Promise<void> => undefined;
const wallTime = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sealed: SealedLeaseToken = {
  sealedToken: { scheme: 'X25519-HKDF-SHA256-A256GCM', ephemeralKey: 'ZXBo', iv: 'aXY=', ciphertext: 'Y3Q=', tag: 'dGFn' },
  tokenExpiresAt: '2026-12-03T00:10:00.000Z', server: 'https://127.0.0.1:6443', caCert: '-----BEGIN CERTIFICATE-----',
};
const leaseMocks: ActivityMocks = {
  ensureNamespace: async () => ({ created: false }), createServiceAccount: done, createRoleBinding: done, deleteRoleBinding: done, deleteServiceAccount: done,
  signalWorkflows: done, issueLeaseToken: async () => sealed,
};
const identity = ['ensureNamespace', 'createServiceAccount', 'createRoleBinding'];
const cleanup = ['deleteRoleBinding', 'deleteServiceAccount', 'signalWorkflows'];
// An X25519 SPKI key's base64 is 60 characters; its content does not matter to the workflow.
const publicKey = 'MCowBQYDK2VuAyEAq2wMhLQ0wRZpuC5FN7A4q8lJXJqPVG1fWb4iPz4mZ1o=';
/** How late a deadline may be acted on: a workflow task and a local activity, on a busy machine. */
const lateMs = 2000;

/** When the run ended, in workflow time: its last event. */
function endedAt(history: History): number {
  const last = history.events!.at(-1)!;
  return Number(last.eventTime!.seconds) * 1000 + Math.floor((last.eventTime!.nanos ?? 0) / 1e6);
}

/** The failure a workflow's refusal of an update carries. */
async function refusal(update: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await update.then(() => undefined, (failure: unknown) => failure);
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return (error as WorkflowUpdateFailedError).cause as ApplicationFailure;
}

describe('sparkLease workflow (client mode; mocked activities, time-skipping test server)', () => {
  let env: WorkflowEnvironment;
  beforeAll(async () => {
    env = await WorkflowEnvironment.start();
  });
  afterAll(() => env?.teardown());

  const lease = (input: SparkLeaseInput, mocks: ActivityMocks = {}, meanwhile?: ExecuteOptions<typeof sparkLease>['meanwhile']) =>
    env.execute(sparkLease, { workflowId: sparkJobWorkflowId(input.jobId), args: [input], mocks: { ...leaseMocks, ...mocks }, meanwhile });

  const untilRunning = (handle: WorkflowHandle<typeof sparkLease>): Promise<void> =>
    poll(async () => (await handle.query(sparkJobStatusQuery)).phase === 'RUNNING', () => `${handle.workflowId} RUNNING`);

  test('a lease nobody renews expires after leaseSeconds: FAILED saying so, the identity made as in cluster mode and removed', async () => {
    const { result, error, calls, history } = await lease(leaseInput('expires'));
    expect(result).toBeUndefined();
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const status = ((error as WorkflowFailedError).cause as ApplicationFailure).details?.[0];
    expect(status).toMatchObject({
      jobId: 'expires', phase: 'FAILED', deployMode: 'client', error: 'the lease expired: not renewed within 60s', cleanedUp: true,
      namespace: 'dss-ns-alice', serviceAccount: 'spark-expires', driverPod: '', lease: { leaseSeconds: 60 },
    });
    expect(calls.names()).toEqual([...identity, ...cleanup]);
    expect(calls.inputsOf('createRoleBinding')).toEqual([{
      cluster: 'local', namespace: 'dss-ns-alice', name: 'spark-expires', clusterRole: 'compute-orchestrator-spark-driver',
      serviceAccount: 'spark-expires', kind: 'spark-job', workflowId: 'spark-job-expires',
    }]);
    expect(calls.inputsOf('deleteServiceAccount')).toEqual([{ cluster: 'local', namespace: 'dss-ns-alice', name: 'spark-expires' }]);
    expect(endedAt(history)).toBeGreaterThanOrEqual(runStartedAt(history) + 60_000);
    expect(endedAt(history)).toBeLessThan(runStartedAt(history) + 60_000 + lateMs);
  });

  test('renewals keep it alive past leaseSeconds; the caller ends it with exit code 0: SUCCEEDED', async () => {
    const expiries: string[] = [];
    const { result, calls } = await lease(leaseInput('renewed', { leaseSeconds: 2 }), {}, async (handle) => {
      await untilRunning(handle);
      for (let i = 0; i < 8; i++) {
        await wallTime(500);
        expiries.push((await handle.executeUpdate(renewSparkLeaseUpdate)).expiresAt);
      }
      expect((await handle.query(sparkJobStatusQuery)).phase).toBe('RUNNING');
      await handle.signal(endSparkJobSignal, { exitCode: 0, by: 'dss' });
    });
    expect(result).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0, cleanedUp: true, deployMode: 'client' });
    expect(result!.error).toBeUndefined();
    expect([...expiries].sort()).toEqual(expiries);
    expect(Date.parse(expiries.at(-1)!) - Date.parse(expiries[0]!)).toBeGreaterThanOrEqual(3000);
    expect(calls.names()).toEqual([...identity, ...cleanup]);
  });

  test('the caller ends it with a non-zero exit code: FAILED with that code kept', async () => {
    const { error } = await lease(leaseInput('exit-3'), {}, async (handle) => {
      await untilRunning(handle);
      await handle.signal(endSparkJobSignal, { exitCode: 3, by: 'dss' });
    });
    const failure = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe('SparkJobFailed');
    expect(failure.details?.[0]).toMatchObject({ phase: 'FAILED', exitCode: 3, error: 'the driver exited with code 3 (reported by dss)', cleanedUp: true });
  });

  test('a cancel: CANCELLED, the identity removed', async () => {
    const { result, calls } = await lease(leaseInput('cancelled'), {}, async (handle) => {
      await untilRunning(handle);
      await handle.signal(cancelSparkJobSignal, { reason: 'aborted in DSS', by: 'dss' });
    });
    expect(result).toMatchObject({ phase: 'CANCELLED', error: 'cancelled by dss: aborted in DSS', cleanedUp: true });
    expect(calls.names()).toEqual([...identity, ...cleanup]);
  });

  test('a token asked for at once waits for the identity, is sealed to the caller\'s key and renews the lease', async () => {
    let bindingMade = false;
    const { result, calls } = await lease(leaseInput('token'), {
      createRoleBinding: async () => {
        await wallTime(500);
        bindingMade = true;
      },
      issueLeaseToken: async () => {
        expect(bindingMade).toBe(true);
        return sealed;
      },
    }, async (handle) => {
      const issued = await handle.executeUpdate(issueLeaseTokenUpdate, { args: [{ publicKey }] });
      expect(issued).toEqual({ ...sealed, namespace: 'dss-ns-alice', serviceAccount: 'spark-token', expiresAt: expect.any(String) });
      const status = await handle.query(sparkJobStatusQuery);
      expect(status.lease?.expiresAt).toBe(issued.expiresAt);
      await handle.signal(endSparkJobSignal, {});
    });
    expect(result).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0 });
    expect(calls.inputsOf('issueLeaseToken')).toEqual([{
      cluster: 'local', namespace: 'dss-ns-alice', serviceAccount: 'spark-token', publicKey, context: 'spark-job-token',
    } satisfies LeaseTokenCall]);
  });

  test('once ending, renewals and tokens are refused (SparkLeaseEnded), and so is a key that is not one', async () => {
    let releaseCleanup!: () => void;
    const cleanupHeld = new Promise<void>((resolve) => (releaseCleanup = resolve));
    const { result } = await lease(leaseInput('refused'), { deleteRoleBinding: () => cleanupHeld }, async (handle, calls) => {
      await untilRunning(handle);
      expect((await refusal(handle.executeUpdate(issueLeaseTokenUpdate, { args: [{ publicKey: 'not a key' }] }))).type).toBe('InvalidLeaseKey');
      await handle.signal(endSparkJobSignal, { exitCode: 0 });
      await calls.until('deleteRoleBinding');
      // Both at once: while a local activity runs, updates wait for the task's next heartbeat (8 s).
      const [renew, token] = await Promise.all([
        refusal(handle.executeUpdate(renewSparkLeaseUpdate)), refusal(handle.executeUpdate(issueLeaseTokenUpdate, { args: [{ publicKey }] })),
      ]);
      expect(renew).toMatchObject({ type: 'SparkLeaseEnded', message: "spark job 'refused' has ended (SUCCEEDED): its lease cannot be renewed" });
      expect(token.type).toBe('SparkLeaseEnded');
      releaseCleanup();
    });
    expect(result).toMatchObject({ phase: 'SUCCEEDED', cleanedUp: true });
  });

  test('a long-renewed lease continues as new with its identity and expiry, and still ends once', async () => {
    const { result, calls, handle } = await lease(leaseInput('long', { leaseSeconds: 30, historyEventLimit: 40 }), {}, async (running) => {
      await untilRunning(running);
      for (let i = 0; i < 12; i++) await running.executeUpdate(renewSparkLeaseUpdate);
      await poll(async () => (await running.describe()).runId !== running.firstExecutionRunId, () => 'a second run');
      await running.executeUpdate(renewSparkLeaseUpdate);
      expect((await running.query(sparkJobStatusQuery)).phase).toBe('RUNNING');
      await running.signal(endSparkJobSignal, {});
    });
    expect(result).toMatchObject({ phase: 'SUCCEEDED', cleanedUp: true });
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
    expect(calls.names()).toEqual([...identity, ...cleanup]);
  });
});
