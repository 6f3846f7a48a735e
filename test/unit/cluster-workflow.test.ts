import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CancelledFailure } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ClusterInput, ClusterStatus } from '../../src/domain/cluster.js';
import { clusterWorkflowId } from '../../src/domain/workflow-ids.js';
import { clusterUseSignal } from '../../src/workflows/cluster-use.js';
import { cluster, clusterStatusQuery, destroyClusterSignal } from '../../src/workflows/cluster.js';
import { addNodePoolUpdate, resizeNodePoolUpdate } from '../../src/workflows/node-pool-operations.js';
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

  test('node pools: a resize and an added pool run one after the other, each followed to its end; the status lists them', async () => {
    const resizeOperation = 'projects/p/locations/europe-west1/operations/resize-1';
    const addOperation = 'projects/p/locations/europe-west1/operations/add-1';
    let statusAfter: ClusterStatus | undefined;
    const { calls } = await run(gkeCluster('pools'), {
      resizeGkeNodePool: async () => ({ operation: resizeOperation }),
      addGkeNodePool: async () => ({ operation: addOperation }),
    }, async (handle) => {
      await poll(async () => (await handle.query(clusterStatusQuery)).phase === 'RUNNING', () => `${handle.workflowId} RUNNING`);
      expect((await handle.query(clusterStatusQuery)).nodePools).toEqual([{ name: 'default', machineType: 'e2-standard-4', nodeCount: 3, maxNodes: 1000, state: 'RUNNING' }]);
      const resize = await handle.executeUpdate(resizeNodePoolUpdate, { args: [{ pool: 'default', nodeCount: 5, by: 'alice' }] });
      expect(resize).toMatchObject({ kind: 'resize', pool: 'default', nodeCount: 5, state: 'PENDING', requestedBy: 'alice' });
      const add = await handle.executeUpdate(addNodePoolUpdate, {
        args: [{ pool: 'gpu', preset: 'gpu-pool', settings: { machineType: 'n1-standard-8', autoscaling: { minNodes: 0, maxNodes: 4 } } }],
      });
      await poll(async () => (await handle.query(clusterStatusQuery)).nodePoolOperations?.every((operation) => operation.state === 'DONE') ?? false,
        () => 'both node pool operations DONE');
      statusAfter = await handle.query(clusterStatusQuery);
      expect(statusAfter.nodePoolOperations?.map((operation) => operation.id)).toEqual([resize.id, add.id]);
      await handle.signal(destroyClusterSignal, { by: 'alice' });
    });
    expect(statusAfter?.nodePools).toEqual([
      { name: 'default', machineType: 'e2-standard-4', nodeCount: 5, maxNodes: 1000, state: 'RUNNING' },
      { name: 'gpu', machineType: 'n1-standard-8', nodeCount: 1, maxNodes: 4, autoscaling: { minNodes: 0, maxNodes: 4 }, state: 'RUNNING' },
    ]);
    expect(calls.inputsOf('resizeGkeNodePool')).toEqual([{ connection, clusterName: 'pools', pool: 'default', nodeCount: 5 }]);
    expect(calls.inputsOf('addGkeNodePool')).toEqual([{ connection, clusterName: 'pools', pool: 'gpu', preset: { machineType: 'n1-standard-8', autoscaling: { minNodes: 0, maxNodes: 4 } } }]);
    expect(calls.inputsOf('waitForGkeOperation').map((input: any) => input.operation)).toEqual([createOperation, resizeOperation, addOperation, deleteOperation]);
  });

  test('node pools: a resize below 0 or above the maximum, an unknown pool, a pool that exists are refused naming the field, and nothing runs', async () => {
    const refusals: unknown[] = [];
    const { calls } = await run(gkeCluster('refusing', { gke: { connection, nodePools: { auto: { machineType: 'e2-standard-4', autoscaling: { minNodes: 1, maxNodes: 3 } } } } }), {}, async (handle) => {
      await poll(async () => (await handle.query(clusterStatusQuery)).phase === 'RUNNING', () => `${handle.workflowId} RUNNING`);
      const refusal = async (update: Promise<unknown>) => {
        const error = await update.then(() => undefined, (caught: unknown) => caught) as WorkflowUpdateFailedError;
        expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
        const cause = error.cause as ApplicationFailure;
        refusals.push({ type: cause.type, field: cause.details?.[0], message: cause.message });
      };
      await refusal(handle.executeUpdate(resizeNodePoolUpdate, { args: [{ pool: 'auto', nodeCount: -1 }] }));
      await refusal(handle.executeUpdate(resizeNodePoolUpdate, { args: [{ pool: 'auto', nodeCount: 4 }] }));
      await refusal(handle.executeUpdate(resizeNodePoolUpdate, { args: [{ pool: 'none', nodeCount: 1 }] }));
      await refusal(handle.executeUpdate(addNodePoolUpdate, { args: [{ pool: 'auto', preset: 'small', settings: { machineType: 'e2-standard-4', nodeCount: 1 } }] }));
      expect((await handle.query(clusterStatusQuery)).nodePoolOperations).toEqual([]);
      await handle.signal(destroyClusterSignal, { by: 'alice' });
    });
    expect(refusals).toEqual([
      { type: 'VALIDATION', field: 'nodeCount', message: "nodeCount must be an integer from 0 to 3 (node pool 'auto's maximum), got -1" },
      { type: 'VALIDATION', field: 'nodeCount', message: "nodeCount must be an integer from 0 to 3 (node pool 'auto's maximum), got 4" },
      { type: 'VALIDATION', field: 'pool', message: "cluster 'refusing' has no node pool 'none'; its pools: auto" },
      { type: 'CONFLICT', field: undefined, message: "cluster 'refusing' already has a node pool 'auto'" },
    ]);
    expect(calls.names().filter((name) => name.includes('NodePool'))).toEqual([]);
  });

  test('node pools: a resize that GKE fails is FAILED with its message, the pool keeps its size, and the next operation still runs', async () => {
    let resizes = 0;
    let statusAfter: ClusterStatus | undefined;
    await run(gkeCluster('failing-resize'), {
      resizeGkeNodePool: async () => {
        if (++resizes === 1) throw ApplicationFailure.nonRetryable('resize GKE node pool: quota exceeded', 'GkePermissionDenied');
        return {};
      },
    }, async (handle) => {
      await poll(async () => (await handle.query(clusterStatusQuery)).phase === 'RUNNING', () => `${handle.workflowId} RUNNING`);
      await handle.executeUpdate(resizeNodePoolUpdate, { args: [{ pool: 'default', nodeCount: 9 }] });
      await handle.executeUpdate(resizeNodePoolUpdate, { args: [{ pool: 'default', nodeCount: 2 }] });
      await poll(async () => (await handle.query(clusterStatusQuery)).nodePoolOperations?.every((operation) => ['DONE', 'FAILED'].includes(operation.state)) ?? false,
        () => 'both resizes ended');
      statusAfter = await handle.query(clusterStatusQuery);
      await handle.signal(destroyClusterSignal, { by: 'alice' });
    });
    expect(statusAfter?.nodePoolOperations?.map(({ state, error, nodeCount }) => ({ state, error, nodeCount }))).toEqual([
      { state: 'FAILED', error: 'resize GKE node pool: quota exceeded', nodeCount: 9 },
      { state: 'DONE', error: undefined, nodeCount: 2 },
    ]);
    expect(statusAfter?.nodePools?.[0]).toMatchObject({ name: 'default', nodeCount: 2, state: 'RUNNING' });
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
