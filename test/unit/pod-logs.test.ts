import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConnector } from '../../src/activities/kubernetes/cluster-connector.js';
import { podLogActivities } from '../../src/activities/pod-logs.js';
import { driverLogKeptBytes } from '../../src/domain/driver-log.js';

const container = 'spark-kubernetes-driver';
const ref = { cluster: 'local', namespace: 'dss-ns-alice', name: 'spark-pi-driver', container };

interface FakePod {
  nodeName?: string;
  state?: Record<string, unknown>;
  /** The container's whole log; the fake applies tailLines then limitBytes, as kubelet does. */
  log?: string;
  /** Instead of the log: the API server's answer (500) when it cannot use the node's kubelet, and why. */
  logFailure?: string;
}

describe('readPodLogTail: the end of a container log through the Kubernetes API', () => {
  let server: Server;
  let pod: FakePod | undefined;
  let logQueries: URLSearchParams[];
  let activities: ReturnType<typeof podLogActivities>;

  const status = (code: number, message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });

  beforeAll(async () => {
    // An API server that knows one pod: enough for the pod and pods/log reads.
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://fake');
      const podPath = `/api/v1/namespaces/${ref.namespace}/pods/${ref.name}`;
      if (!pod || !url.pathname.startsWith(podPath)) {
        response.writeHead(404, { 'content-type': 'application/json' }).end(status(404, `pods "${ref.name}" not found`));
        return;
      }
      if (url.pathname === podPath) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          apiVersion: 'v1', kind: 'Pod', metadata: { name: ref.name, namespace: ref.namespace },
          spec: { containers: [{ name: container, image: 'spark' }], ...(pod.nodeName ? { nodeName: pod.nodeName } : {}) },
          status: { containerStatuses: pod.state ? [{ name: container, state: pod.state, ready: false, restartCount: 0, image: 'spark', imageID: '' }] : [] },
        }));
        return;
      }
      logQueries.push(url.searchParams);
      if (pod.logFailure) {
        response.writeHead(500, { 'content-type': 'application/json' })
          .end(status(500, `Get "https://10.0.0.10:10250/containerLogs/dss-ns-alice/spark-pi-driver/spark-kubernetes-driver": ${pod.logFailure}`));
        return;
      }
      const lines = (pod.log ?? '').split(/(?<=\n)/);
      const tail = lines.slice(-Number(url.searchParams.get('tailLines'))).join('');
      response.writeHead(200, { 'content-type': 'text/plain' }).end(Buffer.from(tail).subarray(0, Number(url.searchParams.get('limitBytes'))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'pod-logs-')), 'kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'fake',
      // The client speaks plain HTTP only with this set: no TLS at all for a fake on loopback.
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'worker', user: { token: 'unit' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'worker' } }],
    }));
    activities = podLogActivities(new ClusterConnector({ local: { kubeconfig } }));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    pod = undefined;
    logQueries = [];
  });

  const ended = { terminated: { exitCode: 0, reason: 'Completed' } };
  const logLines = (count: number, width: number) => Array.from({ length: count }, (_, index) => `${String(index).padStart(6, '0')} ${'x'.repeat(width)}\n`).join('');

  test("asks for the driver container's last lines with a byte cap, and keeps the last 64 KiB on a line", async () => {
    const log = `${logLines(900, 120)}Pi is roughly 3.14\n`;
    pod = { nodeName: 'node-0', state: ended, log };
    const tail = await activities.readPodLogTail(ref);
    expect(logQueries.map((query) => Object.fromEntries(query))).toEqual([expect.objectContaining({ container, tailLines: '1000', limitBytes: String(1024 * 1024) })]);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(driverLogKeptBytes);
    expect(log.endsWith(tail)).toBe(true);
    expect(tail).toMatch(/^\d{6} x+\n/);
    expect(tail.endsWith('Pi is roughly 3.14\n')).toBe(true);
  });

  test('a short log comes back whole, from a running driver too', async () => {
    pod = { nodeName: 'node-0', state: { running: { startedAt: '2026-11-21T10:00:00Z' } }, log: 'starting\n' };
    await expect(activities.readPodLogTail(ref)).resolves.toBe('starting\n');
  });

  test('lines so long that the byte cap cuts the answer are asked for again, fewer, so the end is the real end', async () => {
    const log = `${logLines(2_000, 2_000)}Pi is roughly 3.14\n`;
    pod = { nodeName: 'node-0', state: ended, log };
    const tail = await activities.readPodLogTail(ref);
    expect(logQueries.map((query) => query.get('tailLines'))).toEqual(['1000', '100']);
    expect(log.endsWith(tail)).toBe(true);
    expect(tail.endsWith('Pi is roughly 3.14\n')).toBe(true);
  });

  test.each([
    ['does not exist', undefined, /^pod dss-ns-alice\/spark-pi-driver does not exist$/],
    ['was never scheduled', { state: { waiting: { reason: 'Pending' } } }, /^pod dss-ns-alice\/spark-pi-driver was never scheduled on a node$/],
    ['never started', { nodeName: 'node-0', state: { waiting: { reason: 'ErrImagePull' } } }, /^container spark-kubernetes-driver of pod dss-ns-alice\/spark-pi-driver never started \(ErrImagePull\)$/],
  ])('a pod that %s has no log: NoPodLog, not retried, and the log is not asked for', async (_what, fake, message) => {
    pod = fake;
    const failure = await activities.readPodLogTail(ref).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'NoPodLog', nonRetryable: true, message: expect.stringMatching(message) });
    expect(logQueries).toEqual([]);
  });

  test('a node whose kubelet does not answer is a retryable failure with the API server\'s reason', async () => {
    pod = { nodeName: 'kwok-node-0', state: ended, logFailure: 'dial tcp 10.0.0.10:10250: connect: connection refused' };
    await expect(activities.readPodLogTail(ref)).rejects.toMatchObject({
      type: 'KubernetesUnavailable', nonRetryable: false,
      message: expect.stringMatching(/^read the log of pod dss-ns-alice\/spark-pi-driver: HTTP 500: .*connection refused$/),
    });
  });

  test('a node whose kubelet the API server does not trust has no log: NoPodLog, not retried', async () => {
    pod = { nodeName: 'kwok-node-0', state: ended, logFailure: 'tls: failed to verify certificate: x509: cannot validate certificate for 10.0.0.10 because it doesn\'t contain any IP SANs' };
    await expect(activities.readPodLogTail(ref)).rejects.toMatchObject({
      type: 'NoPodLog', nonRetryable: true,
      message: "the API server does not trust the kubelet of pod dss-ns-alice/spark-pi-driver's node (its serving certificate cannot be verified)",
    });
    expect(logQueries).toHaveLength(1);
  });
});
