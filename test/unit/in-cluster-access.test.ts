import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConnector } from '../../src/activities/kubernetes/cluster-connector.js';
import { podServiceAccountDir } from '../../src/domain/cluster.js';

describe("the cluster local from the pod's service account (KUBERNETES_IN_CLUSTER)", () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'pod-root-')), podServiceAccountDir);
  const caCert = '-----BEGIN CERTIFICATE-----\nnot checked before a connection\n-----END CERTIFICATE-----\n';
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), 'first-token');
    writeFileSync(join(dir, 'ca.crt'), caCert);
    writeFileSync(join(dir, 'namespace'), 'compute-orchestrator');
    // What kubelet sets in every pod; the client library reads them from the process's environment.
    process.env.KUBERNETES_SERVICE_HOST = 'fd00::1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
  });
  afterAll(() => {
    for (const [name, value] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  test('reaches the API server of KUBERNETES_SERVICE_HOST and _PORT, with the CA of ca.crt', async () => {
    const access = await new ClusterConnector({ local: { serviceAccountDir: dir } }).access('local');
    expect(access.server).toBe('https://[fd00::1]:443');
    expect(access.caCert).toBe(caCert);
  });

  test('sends a token that kubelet rotated within a minute, without building the access again', async () => {
    jest.useFakeTimers({ doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    try {
      const clusters = new ClusterConnector({ local: { serviceAccountDir: dir } });
      // What the client does before every request: API calls and watch connections alike.
      const authorization = async () => {
        const options: RequestOptions & { headers: OutgoingHttpHeaders } = { headers: {} };
        await (await clusters.access('local')).config.applyToHTTPSOptions(options);
        return options.headers.Authorization;
      };
      expect(await authorization()).toBe('Bearer first-token');
      writeFileSync(join(dir, 'token'), 'rotated-token');
      jest.setSystemTime(Date.now() + 30_000);
      expect(await authorization()).toBe('Bearer first-token');
      jest.setSystemTime(Date.now() + 31_000);
      expect(await authorization()).toBe('Bearer rotated-token');
    } finally {
      jest.useRealTimers();
    }
  });

  test('a missing CA certificate is an error naming the variable', async () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'pod-root-')), podServiceAccountDir);
    await expect(new ClusterConnector({ local: { serviceAccountDir: empty } }).access('local'))
      .rejects.toThrow(/^cluster 'local': cannot read the pod service account's CA certificate \(KUBERNETES_SERVICE_ACCOUNT_DIR\): ENOENT/);
  });
});
