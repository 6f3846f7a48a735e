import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GkeClients } from '../../src/activities/gke/client.js';
import { gkeClusterActivities, operationPercent, type GkeActivities } from '../../src/activities/gke/clusters.js';
import { gkeAccessToken } from '../../src/activities/gke/credentials.js';
import { emptyClusterPresets, ownerResourceLabels, type ClusterPresets, type NodePoolPreset } from '../../src/domain/cluster-presets.js';
import { startGkeSimulator, type GkeSimulator } from '../../src/local/gke-simulator/index.js';

const caCertificatePem = '-----BEGIN CERTIFICATE-----\nMIIBfakeCAforTheActivities\n-----END CERTIFICATE-----\n';
const kubernetes = { endpoint: '127.0.0.1:6443', caCertificatePem };
const parent = 'projects/test-project/locations/europe-west1';
const connection = 'sim';
const workflowId = 'cluster-c1';
const pollMs = 50;
const nodePools: Record<string, NodePoolPreset> = {
  small: { machineType: 'e2-standard-4', nodeCount: 2 },
  spark: { machineType: 'n2-highmem-16', autoscaling: { minNodes: 0, maxNodes: 5 }, diskSizeGb: 200 },
};

interface SentSignal {
  workflowId: string;
  name: string;
  arg: { status: string; percent?: number; at: string };
}

let simulator: GkeSimulator;
let clients: GkeClients;
let signals: SentSignal[];
let heartbeats: unknown[];
let logs: LogEntry[];
let activities: GkeActivities;
let env: MockActivityEnvironment;

/** The part of a Temporal Client the activities use: signalling a workflow, recorded here. */
function recordingTemporal(fail = false): Client {
  return {
    workflow: {
      getHandle: (id: string) => ({
        signal: async (name: string, arg: SentSignal['arg']) => {
          if (fail) throw new Error('Temporal is unreachable');
          signals.push({ workflowId: id, name, arg });
        },
      }),
    },
  } as unknown as Client;
}

beforeEach(async () => {
  simulator = await startGkeSimulator({ kubernetes, operationSeconds: 1 });
  const presets: ClusterPresets = {
    ...emptyClusterPresets,
    gkeConnections: {
      [connection]: { project: 'test-project', location: 'europe-west1', credentials: { type: 'application-default' }, apiEndpoint: simulator.address },
    },
  };
  clients = new GkeClients(presets);
  signals = [];
  heartbeats = [];
  logs = [];
  activities = gkeClusterActivities(clients, recordingTemporal(), pollMs);
  // Recorded rather than printed: failing activities are expected here.
  env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'run-1' } }, {
    logger: new DefaultLogger('WARN', (entry) => logs.push(entry)),
  });
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
});

afterEach(async () => {
  await clients.close();
  await simulator.stop();
});

/** Runs an activity in the mocked activity context, as a worker would. */
const run = <R>(activity: () => Promise<R>): Promise<R> => env.run<[], R, () => Promise<R>>(activity);
const create = (clusterName = 'c1', owner = workflowId) =>
  run(() => activities.createGkeCluster({ connection, clusterName, nodePools, workflowId: owner }));
const waitFor = (operation: string) => run(() => activities.waitForGkeOperation({ connection, operation }));
const describeCluster = (clusterName = 'c1') => run(() => activities.describeGkeCluster({ connection, clusterName }));
const callsOf = (method: string) => simulator.calls().filter((call) => call.method === method);

async function createdOperation(clusterName = 'c1'): Promise<string> {
  const { operation } = await create(clusterName);
  if (!operation) throw new Error('createGkeCluster returned no operation');
  return operation;
}

describe('GKE cluster activities against the simulator', () => {
  test('create → wait → describe: RUNNING with endpoint and CA; progress signalled and heartbeated', async () => {
    const created = await create();
    expect(created).toEqual({ operation: expect.stringMatching(new RegExp(`^${parent}/operations/operation-`)), adopted: false });
    await expect(describeCluster()).resolves.toEqual({ status: 'PROVISIONING', endpoint: '', caCertificatePem: '' });

    await waitFor(created.operation!);
    await expect(describeCluster()).resolves.toEqual({ status: 'RUNNING', endpoint: '127.0.0.1:6443', caCertificatePem });

    const [cluster] = await clients.client(connection).getCluster({ name: `${parent}/clusters/c1` });
    expect(cluster.resourceLabels).toEqual(ownerResourceLabels(workflowId));
    expect(cluster.nodePools).toMatchObject([
      { name: 'small', initialNodeCount: 2, config: { machineType: 'e2-standard-4' }, autoscaling: null },
      { name: 'spark', initialNodeCount: 1, config: { machineType: 'n2-highmem-16', diskSizeGb: 200 }, autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 5 } },
    ]);

    expect(signals.length).toBeGreaterThanOrEqual(2);
    for (const signal of signals) {
      expect(signal).toMatchObject({ workflowId, name: 'gkeProgress' });
      expect(Date.parse(signal.arg.at)).not.toBeNaN();
    }
    const seen = signals.map((signal) => `${signal.arg.status} ${signal.arg.percent}`);
    expect(new Set(seen).size).toBe(seen.length);
    const percents = signals.map((signal) => signal.arg.percent ?? -1);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(signals.at(-1)!.arg).toMatchObject({ status: 'DONE', percent: 100 });
    expect(heartbeats.length).toBeGreaterThanOrEqual(signals.length);
    expect(heartbeats.at(-1)).toEqual({ status: 'DONE', percent: 100 });
  });

  test('a failing signal does not fail the wait, and is logged', async () => {
    activities = gkeClusterActivities(clients, recordingTemporal(true), pollMs);
    await expect(waitFor(await createdOperation())).resolves.toBeUndefined();
    expect(logs).toContainEqual(expect.objectContaining({
      level: 'WARN', message: 'could not signal GKE operation progress', meta: expect.objectContaining({ error: 'Error: Temporal is unreachable' }),
    }));
  });

  test('ALREADY_EXISTS of our own cluster: adopted, and waitForGkeCluster follows it to RUNNING', async () => {
    await create();
    await expect(create()).resolves.toEqual({ adopted: true });
    await run(() => activities.waitForGkeCluster({ connection, clusterName: 'c1' }));
    await expect(describeCluster()).resolves.toMatchObject({ status: 'RUNNING' });
    expect(callsOf('CreateCluster').map((call) => call.code)).toEqual([status.OK, status.ALREADY_EXISTS]);
    expect(heartbeats).toContainEqual({ status: 'RUNNING' });
  });

  test('ALREADY_EXISTS of someone else\'s cluster, or another workflow\'s: GkeClusterNotOurs', async () => {
    simulator.seedCluster(`${parent}/clusters/theirs`, { resourceLabels: { team: 'data' } });
    await expect(create('theirs')).rejects.toMatchObject({
      type: 'GkeClusterNotOurs', nonRetryable: true, message: expect.stringContaining(`named theirs already exists in ${parent}`),
    });
    await create('c2', 'cluster-other');
    await expect(create('c2')).rejects.toMatchObject({ type: 'GkeClusterNotOurs', nonRetryable: true });
  });

  test('ALREADY_EXISTS for a cluster that is not there: retryable', async () => {
    simulator.failNextCreateWithAlreadyExists();
    await expect(create()).rejects.toMatchObject({ type: 'GkeTransient', nonRetryable: false });
    await expect(create()).resolves.toMatchObject({ adopted: false });
  });

  test('PERMISSION_DENIED (quota): non-retryable, with GKE\'s message verbatim', async () => {
    const quota = "Insufficient regional quota to satisfy request: resource \"CPUS\": request requires '48.0' and is short '16.0'";
    simulator.failNextCreateWithPermissionDenied(quota);
    await expect(create()).rejects.toMatchObject({
      type: 'GkePermissionDenied', nonRetryable: true, message: `create GKE cluster ${parent}/clusters/c1: ${quota}`, details: ['PERMISSION_DENIED'],
    });
  });

  test('an operation DONE with an error: GkeOperationFailed, and the cluster is GkeClusterFailed', async () => {
    const reason = 'Google Compute Engine: Not all instances running in IGM.';
    simulator.failNextOperation(reason, { code: status.RESOURCE_EXHAUSTED });
    const operation = await createdOperation();
    await expect(waitFor(operation)).rejects.toMatchObject({
      type: 'GkeOperationFailed', nonRetryable: true, message: `GKE operation ${operation} (CREATE_CLUSTER): ${reason}`, details: ['RESOURCE_EXHAUSTED'],
    });
    expect(signals.at(-1)!.arg.status).toBe('DONE');
    await expect(run(() => activities.waitForGkeCluster({ connection, clusterName: 'c1' }))).rejects.toMatchObject({
      type: 'GkeClusterFailed', nonRetryable: true, message: `GKE cluster ${parent}/clusters/c1 is ERROR: ${reason}`,
    });
  });

  test('UNAVAILABLE on create: retryable; the retry creates, with exactly two CreateCluster calls', async () => {
    simulator.unavailableForNextCalls(1, 'CreateCluster');
    await expect(create()).rejects.toMatchObject({ type: 'GkeTransient', nonRetryable: false, details: ['UNAVAILABLE'] });
    await expect(create()).resolves.toMatchObject({ adopted: false, operation: expect.any(String) });
    expect(callsOf('CreateCluster').map((call) => call.code)).toEqual([status.UNAVAILABLE, status.OK]);
  });

  test('delete: an operation, then gone; deleting again is done at once', async () => {
    await waitFor(await createdOperation());
    const deletion = await run(() => activities.deleteGkeCluster({ connection, clusterName: 'c1', workflowId }));
    expect(deletion.operation).toMatch(new RegExp(`^${parent}/operations/operation-`));
    await expect(describeCluster()).resolves.toMatchObject({ status: 'STOPPING' });
    await waitFor(deletion.operation!);
    await expect(describeCluster()).resolves.toBeUndefined();
    await expect(run(() => activities.deleteGkeCluster({ connection, clusterName: 'c1' }))).resolves.toEqual({});
    await expect(run(() => activities.deleteGkeCluster({ connection, clusterName: 'c1', workflowId }))).resolves.toEqual({});
  });

  test('delete with a workflow id never touches a cluster that is not that workflow\'s', async () => {
    simulator.seedCluster(`${parent}/clusters/theirs`, { resourceLabels: { team: 'data' } });
    await expect(run(() => activities.deleteGkeCluster({ connection, clusterName: 'theirs', workflowId }))).rejects.toMatchObject({
      type: 'GkeClusterNotOurs', nonRetryable: true,
    });
    expect(callsOf('DeleteCluster')).toEqual([]);
    await expect(describeCluster('theirs')).resolves.toMatchObject({ status: 'RUNNING' });
  });

  test('delete while creating: GkeClusterBusy, retryable; after cancelling the create, the delete goes through', async () => {
    const operation = await createdOperation();
    await expect(run(() => activities.deleteGkeCluster({ connection, clusterName: 'c1' }))).rejects.toMatchObject({
      type: 'GkeClusterBusy', nonRetryable: false, message: expect.stringContaining('is currently creating cluster c1'),
    });
    await run(() => activities.cancelGkeOperation({ connection, operation }));
    await expect(waitFor(operation)).rejects.toMatchObject({ type: 'GkeOperationFailed', details: ['CANCELLED'] });
    await expect(run(() => activities.cancelGkeOperation({ connection, operation }))).resolves.toBeUndefined();
    await expect(run(() => activities.cancelGkeOperation({ connection, operation: `${parent}/operations/operation-unknown` }))).resolves.toBeUndefined();
    const deletion = await run(() => activities.deleteGkeCluster({ connection, clusterName: 'c1' }));
    await waitFor(deletion.operation!);
    await expect(describeCluster()).resolves.toBeUndefined();
  });

  test('a wait past its deadline: GkeTimeout, non-retryable', async () => {
    const operation = await createdOperation();
    await expect(run(() => activities.waitForGkeOperation({ connection, operation, deadline: Date.now() }))).rejects.toMatchObject({
      type: 'GkeTimeout', nonRetryable: true, message: expect.stringMatching(/still (PENDING|RUNNING) at the deadline$/),
    });
  });

  test('an unknown connection: UnknownGkeConnection, naming it and the known ones', async () => {
    await expect(run(() => activities.describeGkeCluster({ connection: 'prod', clusterName: 'c1' }))).rejects.toMatchObject({
      type: 'UnknownGkeConnection', nonRetryable: true, message: "unknown GKE connection 'prod': configured are sim",
    });
  });
});

describe('operationPercent', () => {
  test('GKE\'s step metrics: the share of steps done', () => {
    const metric = (name: string, intValue: string) => ({ name, intValue });
    expect(operationPercent({
      metrics: [
        metric('CLUSTER_CONFIGURING', '8'), metric('CLUSTER_CONFIGURING_TOTAL', '8'),
        metric('CLUSTER_DEPLOYING', '11'), metric('CLUSTER_DEPLOYING_TOTAL', '11'),
        metric('CLUSTER_HEALTHCHECKING', '1'), metric('CLUSTER_HEALTHCHECKING_TOTAL', '2'),
      ],
    })).toBe(95);
  });

  test('otherwise the first integer metric, when it reads as a percentage', () => {
    expect(operationPercent({ metrics: [{ name: 'percent done', intValue: '42' }] })).toBe(42);
    expect(operationPercent({ metrics: [{ name: 'NODES', intValue: '250' }] })).toBeUndefined();
    expect(operationPercent({ metrics: [] })).toBeUndefined();
    expect(operationPercent(null)).toBeUndefined();
  });
});

describe('GKE credentials', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'gke-credentials-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const tokenConnection = (path: string) => ({
    project: 'test-project', location: 'europe-west1', credentials: { type: 'access-token-file' as const, path },
  });

  test('access-token-file: gkeAccessToken is the file\'s trimmed content, read at each call', async () => {
    const path = join(directory, 'token');
    await writeFile(path, '  ya29.first-token\n');
    await expect(gkeAccessToken(tokenConnection(path))).resolves.toBe('ya29.first-token');
    await writeFile(path, 'ya29.second-token\n');
    await expect(gkeAccessToken(tokenConnection(path))).resolves.toBe('ya29.second-token');
  });

  test('access-token-file: an empty file is an error naming the file', async () => {
    const path = join(directory, 'token');
    await writeFile(path, '\n');
    await expect(gkeAccessToken(tokenConnection(path))).rejects.toThrow(`the access token file ${path} is empty`);
  });

  test('access-token-file: the GKE client authorizes each call with the token the file holds then', async () => {
    const path = join(directory, 'token');
    await writeFile(path, 'ya29.first-token\n');
    const tokenClients = new GkeClients({ ...emptyClusterPresets, gkeConnections: { google: tokenConnection(path) } });
    try {
      const auth = tokenClients.client('google').auth;
      expect((await auth.getRequestHeaders()).get('authorization')).toBe('Bearer ya29.first-token');
      await writeFile(path, 'ya29.second-token\n');
      expect((await auth.getRequestHeaders()).get('authorization')).toBe('Bearer ya29.second-token');
      await expect(auth.getAccessToken()).resolves.toBe('ya29.second-token');
      expect(tokenClients.client('google')).toBe(tokenClients.client('google'));
    } finally {
      await tokenClients.close();
    }
  });
});
