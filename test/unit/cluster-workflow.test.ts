import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CancelledFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ClusterInput } from '../../src/domain/cluster.js';
import { clusterWorkflowId } from '../../src/domain/workflow-ids.js';
import { clusterUseSignal } from '../../src/workflows/cluster-use.js';
import { cluster, clusterStatusQuery, destroyClusterSignal } from '../../src/workflows/cluster.js';
import {
  activityScheduledAt, poll, runsUntilCancelled, WorkflowEnvironment, type ActivityMocks, type ExecuteOptions,
} from './workflow-environment.js';

// Nothing is in flight while a RUNNING cluster waits for its idle TTL or between the retries of a
// failing call: there the test server skips time, and an hour passes in moments.

const connection = 'europe';
function gkeCluster(name: string, overrides: Partial<ClusterInput> = {}): ClusterInput {
  return { name, provider: 'gke', gke: { connection, nodePools: { default: { machineType: 'e2-standard-4', nodeCount: 3 } } }, ...overrides };
}

const createOperation = 'projects/p/locations/europe-west1/operations/create-1';
const deleteOperation = 'projects/p/locations/europe-west1/operations/delete-1';
/** GKE creates the cluster, describes it as RUNNING, and deletes it when asked. */
const gkeMocks: ActivityMocks = {
  createGkeCluster: async () => ({ operation: createOperation, adopted: false }),
  waitForGkeOperation: async () => undefined,
  describeGkeCluster: async () => ({ status: 'RUNNING', endpoint: '34.76.1.2', caCertificatePem: 'PEM' }),
  prepareCluster: async () => undefined,
  deleteGkeCluster: async () => ({ operation: deleteOperation }),
  cancelGkeOperation: async () => undefined,
  workflowStates: async () => ({}),
};

describe('cluster workflow (mocked activities, time-skipping test server)', () => {
  let env: WorkflowEnvironment;
  beforeAll(async () => {
    env = await WorkflowEnvironment.start();
  });
  afterAll(() => env?.teardown());

  const run = (input: ClusterInput, mocks: ActivityMocks = {}, meanwhile?: ExecuteOptions<typeof cluster>['meanwhile']) =>
    env.execute(cluster, { workflowId: clusterWorkflowId(input.name), args: [input], mocks: { ...gkeMocks, ...mocks }, meanwhile });

  /** What the workflow's ClusterFailed error carries: its message and the final status. */
  function failure(error: unknown): { message: string; status: unknown } {
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('ClusterFailed');
    return { message: cause.message, status: cause.details?.[0] };
  }

  test('a create whose GKE operation fails is compensated: the operation is cancelled, the cluster deleted, the workflow FAILED', async () => {
    const quotaExceeded = 'GKE operation create-1 failed: Insufficient regional quota to satisfy request: resource "CPUS"';
    const { error, calls } = await run(gkeCluster('quota'), {
      waitForGkeOperation: async ({ operation }: { operation: string }) => {
        if (operation === createOperation) throw ApplicationFailure.nonRetryable(quotaExceeded, 'GkeOperationFailed');
      },
    });
    expect(failure(error)).toEqual({ message: quotaExceeded, status: expect.objectContaining({ phase: 'FAILED', error: quotaExceeded }) });
    expect(calls.names()).toEqual(['createGkeCluster', 'waitForGkeOperation', 'cancelGkeOperation', 'deleteGkeCluster', 'waitForGkeOperation']);
    expect(calls.inputsOf('cancelGkeOperation')).toEqual([{ connection, operation: createOperation }]);
    expect(calls.inputsOf('deleteGkeCluster')).toEqual([{ connection, clusterName: 'quota', workflowId: clusterWorkflowId('quota') }]);
    expect(calls.inputsOf('waitForGkeOperation')).toEqual([{ connection, operation: createOperation }, { connection, operation: deleteOperation }]);
  });

  test('a cluster GKE describes as ERROR once created is deleted, and the workflow FAILED', async () => {
    const { error, calls } = await run(gkeCluster('broken'), { describeGkeCluster: async () => ({ status: 'ERROR', endpoint: '', caCertificatePem: '' }) });
    expect(failure(error).message).toBe('GKE reports cluster broken as ERROR after its creation');
    // The create ended: nothing to cancel, only the cluster to delete.
    expect(calls.names()).toEqual(['createGkeCluster', 'waitForGkeOperation', 'describeGkeCluster', 'deleteGkeCluster', 'waitForGkeOperation']);
  });

  test("a create refused because the name is someone else's cluster deletes nothing", async () => {
    const notOurs = 'a GKE cluster named taken already exists in projects/p/locations/europe-west1 and was not created by this orchestrator';
    const { error, calls } = await run(gkeCluster('taken'), { createGkeCluster: async () => {
      throw ApplicationFailure.nonRetryable(notOurs, 'GkeClusterNotOurs');
    } });
    expect(failure(error).message).toBe(notOurs);
    expect(calls.names()).toEqual(['createGkeCluster']);
  });

  test('a set-up that keeps failing is retried for minutes of workflow time, then the cluster is deleted', async () => {
    const { error, calls, history } = await run(gkeCluster('unreachable'), { prepareCluster: async () => {
      throw new Error('connect ECONNREFUSED 34.76.1.2:443');
    } });
    expect(failure(error).message).toBe('connect ECONNREFUSED 34.76.1.2:443');
    expect(calls.inputsOf('prepareCluster')).toHaveLength(10);
    // Ten attempts, backing off from 2 s doubling up to a minute: 2+4+8+16+32+60+60+60+60 s between them.
    expect(activityScheduledAt(history, 'deleteGkeCluster') - activityScheduledAt(history, 'prepareCluster')).toBeGreaterThanOrEqual(302_000);
    expect(calls.names().slice(-2)).toEqual(['deleteGkeCluster', 'waitForGkeOperation']);
  });

  test('a cluster nobody uses is destroyed once its idle TTL has passed, an hour of workflow time later', async () => {
    const idleTtlSeconds = 3600;
    const { result, calls, history } = await run(gkeCluster('idle', { idleTtlSeconds }));
    expect(result).toMatchObject({ phase: 'DELETED', error: `destroyed after ${idleTtlSeconds}s without a job or kernel using it` });
    const runningFrom = activityScheduledAt(history, 'prepareCluster');
    const deletedAt = activityScheduledAt(history, 'deleteGkeCluster');
    expect(deletedAt - runningFrom).toBeGreaterThanOrEqual(idleTtlSeconds * 1000);
    expect(deletedAt - runningFrom).toBeLessThan((idleTtlSeconds + 60) * 1000);
    expect(calls.inputsOf('deleteGkeCluster')).toEqual([{ connection, clusterName: 'idle', workflowId: clusterWorkflowId('idle') }]);
  });

  test('a cluster in use outlives its idle TTL; once its user is found ended, it is destroyed a TTL later', async () => {
    const idleTtlSeconds = 3600;
    const user = 'kernel-k1';
    let checks = 0;
    const { result, calls, history } = await run(gkeCluster('busy', { idleTtlSeconds }), {
      // The kernel was terminated without saying so: the third look finds it closed.
      workflowStates: async () => ({ [user]: ++checks < 3 ? 'running' : 'closed' }),
    }, async (handle) => {
      await poll(async () => (await handle.query(clusterStatusQuery)).phase === 'RUNNING', () => `${handle.workflowId} RUNNING`);
      await handle.signal(clusterUseSignal, { workflowId: user, kind: 'kernel', inUse: true });
    });
    expect(result).toMatchObject({ phase: 'DELETED', error: `destroyed after ${idleTtlSeconds}s without a job or kernel using it` });
    expect(calls.inputsOf('workflowStates')).toEqual([{ workflowIds: [user] }, { workflowIds: [user] }, { workflowIds: [user] }]);
    // The users are looked at every 5 minutes (the TTL, at most 5 minutes); the TTL counts from the look that found none.
    const foundEnded = activityScheduledAt(history, 'workflowStates', 2);
    expect(foundEnded - activityScheduledAt(history, 'prepareCluster')).toBeGreaterThanOrEqual(3 * 300_000);
    expect(activityScheduledAt(history, 'deleteGkeCluster') - foundEnded).toBeGreaterThanOrEqual(idleTtlSeconds * 1000);
  });

  // Last: its workflow ends before the cancelled wait reports back, and the test server then never
  // gives back the clock that activity held, so later tests would wait out their TTLs in wall time.
  test('a destroy while GKE creates the cluster cancels the operation, deletes the cluster and ends DELETED', async () => {
    let waitCancelled = false;
    const { result, calls } = await run(gkeCluster('short-lived'), {
      waitForGkeOperation: async ({ operation }: { operation: string }) => {
        if (operation !== createOperation) return;
        try {
          await runsUntilCancelled();
        } catch (error) {
          waitCancelled = error instanceof CancelledFailure;
          throw error;
        }
      },
    }, async (handle, provisioning) => {
      await provisioning.until('waitForGkeOperation');
      expect(await handle.query(clusterStatusQuery)).toMatchObject({ phase: 'PROVISIONING' });
      await handle.signal(destroyClusterSignal, { reason: 'not needed', by: 'alice' });
    });
    expect(result).toMatchObject({ name: 'short-lived', phase: 'DELETED', error: 'destroyed by alice: not needed' });
    expect(result?.endpoint).toBeUndefined();
    expect(calls.names()).toEqual(['createGkeCluster', 'waitForGkeOperation', 'cancelGkeOperation', 'deleteGkeCluster', 'waitForGkeOperation']);
    expect(calls.inputsOf('waitForGkeOperation')[1]).toEqual({ connection, operation: deleteOperation });
    await poll(() => waitCancelled, () => 'the wait for the create operation cancelled');
  });
});
