import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeepAliveKubeConfig } from '../../src/activities/kubernetes/keep-alive-kube-config.js';
import { issueCertificates } from '../../src/local/control-plane/pki.js';

describe('KeepAliveKubeConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keep-alive-'));
  let server: Server;
  let url: string;
  let handshakes = 0;
  const authorizations: Array<string | undefined> = [];

  beforeAll(async () => {
    issueCertificates(dir, { ca: 'keep-alive-test-ca', serving: { server: { subject: '/CN=server', names: ['IP:127.0.0.1'] } }, clients: {} });
    server = createServer({ cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')) }, (request, response) => {
      authorizations.push(request.headers.authorization);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v1', kind: 'NamespaceList', metadata: {}, items: [] }));
    });
    server.on('secureConnection', () => handshakes++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const load = (config: KubeConfig, token: string): KubeConfig => {
    config.loadFromOptions({
      clusters: [{ name: 'c', server: url, caData: readFileSync(join(dir, 'ca.crt')).toString('base64'), skipTLSVerify: false }],
      users: [{ name: 'u', token }], contexts: [{ name: 'c', cluster: 'c', user: 'u' }], currentContext: 'c',
    });
    return config;
  };

  async function handshakesFor(config: KubeConfig, calls: number): Promise<number> {
    const before = handshakes;
    const api = config.makeApiClient(CoreV1Api);
    for (let call = 0; call < calls; call++) await api.listNamespace();
    return handshakes - before;
  }

  test("the library's own config opens a connection per call (what this class is for)", async () => {
    expect(await handshakesFor(load(new KubeConfig(), 'plain'), 3)).toBe(3);
  });

  test('calls one after the other share one verified connection, and each still carries the token', async () => {
    authorizations.length = 0;
    expect(await handshakesFor(load(new KeepAliveKubeConfig(), 'kept'), 5)).toBe(1);
    expect(authorizations).toEqual(Array(5).fill('Bearer kept'));
  });

  test('another config (a cluster whose token was refreshed gets a new one) does not share its connections', async () => {
    const first = load(new KeepAliveKubeConfig(), 'one');
    await handshakesFor(first, 1);
    expect(await handshakesFor(load(new KeepAliveKubeConfig(), 'two'), 2)).toBe(1);
  });
});
