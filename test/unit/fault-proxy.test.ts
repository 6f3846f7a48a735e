import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../../src/local/control-plane/pki.js';
import { eventually } from '../integration/stack/kube.js';
import { seededRandom, startFaultProxy, writeKubeconfigThroughProxy, type FaultProxy } from '../fault-proxy/index.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The API server's stand-in: `/stream…` answers one line and stays open for the test to write
 * more (emitted as 'stream'); `/api/v1/namespaces` answers a NamespaceList; anything else echoes
 * the request back with 201 and a header of its own.
 */
class FakeApiServer extends EventEmitter {
  readonly seen: Seen[] = [];

  readonly handle: RequestListener = (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      this.seen.push(seen);
      if (seen.url.startsWith('/stream')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED"}\n');
        this.emit('stream', res);
      } else if (seen.url === '/api/v1/namespaces') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'seen-through-proxy' } }] }));
      } else {
        res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'fake' });
        res.end(JSON.stringify(seen));
      }
    });
  };

  /** The API server's side of the next stream a client opens. */
  nextStream(): Promise<ServerResponse> {
    return once(this, 'stream').then(([res]) => res as ServerResponse);
  }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', () => resolvePromise()));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  const closed = new Promise((resolvePromise) => server.close(resolvePromise));
  server.closeAllConnections();
  await closed;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

// A connection of its own per request (agent: false), so a reset or cut never breaks a later request's.
function open(url: string, options: { method?: string; headers?: OutgoingHttpHeaders; body?: string } = {}): Promise<IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, resolvePromise);
    req.on('error', reject);
    req.end(options.body);
  });
}

async function send(url: string, options: Parameters<typeof open>[1] = {}): Promise<Reply> {
  const res = await open(url, options);
  res.setEncoding('utf8');
  let body = '';
  for await (const chunk of res) body += chunk as string;
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}

/** How a streamed answer ends, read from now on: `complete` false when its connection breaks off. */
function ending(res: IncomingMessage): Promise<{ complete: boolean }> {
  res.on('error', () => undefined);
  res.resume();
  return new Promise((resolvePromise) => res.once('close', () => resolvePromise({ complete: res.complete })));
}

const nextChunk = async (res: IncomingMessage): Promise<string> => String((await once(res, 'data'))[0]);

const api = new FakeApiServer();
const apiServer = createServer(api.handle);
let upstream: string;
let proxy: FaultProxy;

beforeAll(async () => {
  upstream = `http://127.0.0.1:${await listen(apiServer)}`;
});
afterAll(() => close(apiServer));

beforeEach(async () => {
  api.seen.length = 0;
  proxy = await startFaultProxy({ upstream });
});
afterEach(() => proxy.stop());

describe('fault proxy: pass-through', () => {
  test('method, path, query, headers (Authorization too) and body reach the API server; status, headers and body come back', async () => {
    const reply = await send(`${proxy.url}/apis/batch/v1/namespaces/a/jobs?limit=5&labelSelector=x%3Dy`, {
      method: 'POST', headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json' }, body: '{"kind":"Job"}',
    });
    expect(reply.status).toBe(201);
    expect(reply.headers).toMatchObject({ 'x-upstream': 'fake', 'content-type': 'application/json' });
    expect(JSON.parse(reply.body)).toMatchObject({
      method: 'POST', url: '/apis/batch/v1/namespaces/a/jobs?limit=5&labelSelector=x%3Dy', body: '{"kind":"Job"}',
      headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json', host: new URL(upstream).host },
    });
    expect(api.seen).toHaveLength(1);
    expect(proxy.stats()).toMatchObject({ received: 1, forwarded: 1, statuses: {}, resets: 0, delays: 0, cuts: 0, recent: [] });
  });

  test('a streamed answer comes through chunk by chunk, each before the API server ends it', async () => {
    const stream = api.nextStream();
    const res = await open(`${proxy.url}/stream?watch=true`);
    const server = await stream;
    expect(res.statusCode).toBe(200);
    expect(await nextChunk(res)).toBe('{"type":"ADDED"}\n');
    server.write('{"type":"MODIFIED"}\n');
    expect(await nextChunk(res)).toBe('{"type":"MODIFIED"}\n');
    const last = nextChunk(res);
    const ended = ending(res);
    server.end('{"type":"DELETED"}\n');
    expect(await last).toBe('{"type":"DELETED"}\n');
    expect(await ended).toEqual({ complete: true });
  });

  test('the client going away ends the request to the API server', async () => {
    const stream = api.nextStream();
    const res = await open(`${proxy.url}/stream?watch=true`);
    const server = await stream;
    const serverSideClosed = once(server, 'close');
    res.destroy();
    await serverSideClosed;
    expect(server.writableFinished).toBe(false);
  });
});

describe('fault proxy: an https API server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fault-proxy-pki-'));
  let httpsServer: Server;
  let httpsUpstream: string;
  let caPem: string;

  beforeAll(async () => {
    const pki = ensurePki(dir);
    caPem = pki.caCert;
    httpsServer = createHttpsServer({ cert: pki.serving.cert, key: pki.serving.key }, api.handle);
    httpsUpstream = `https://127.0.0.1:${await listen(httpsServer)}`;
  });
  afterAll(async () => {
    await close(httpsServer);
    rmSync(dir, { recursive: true, force: true });
  });

  test('verified against the given CA, it is reached', async () => {
    const tls = await startFaultProxy({ upstream: httpsUpstream, caPem });
    const reply = await send(`${tls.url}/echo`, { headers: { authorization: 'Bearer s3cret' } });
    await tls.stop();
    expect(reply.status).toBe(201);
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/echo', headers: { authorization: 'Bearer s3cret' } });
  });

  test('without its CA, it fails verification: 502, and it never sees the request', async () => {
    const untrusting = await startFaultProxy({ upstream: httpsUpstream });
    const reply = await send(`${untrusting.url}/echo`);
    await untrusting.stop();
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toMatchObject({ kind: 'Status', code: 502, message: expect.stringMatching(/could not be reached: .*certificate/) });
    expect(api.seen).toHaveLength(0);
  });
});

describe('fault proxy: faults', () => {
  test.each([
    [500, 'InternalError', undefined],
    [503, 'ServiceUnavailable', '1'],
    [429, 'TooManyRequests', '1'],
    [404, 'NotFound', undefined],
  ])('status %i: a Kubernetes Status (%s), Retry-After %s, and the API server never sees the request', async (status, reason, retryAfter) => {
    proxy.inject({ fault: { status } });
    const reply = await send(`${proxy.url}/api/v1/pods?limit=1`, { method: 'DELETE' });
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['retry-after']).toBe(retryAfter);
    expect(JSON.parse(reply.body)).toMatchObject({
      kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status, reason,
      message: `injected by the fault proxy (rule): ${status} for DELETE /api/v1/pods?limit=1`,
    });
    expect(api.seen).toHaveLength(0);
  });

  test('reset: the connection breaks off without an answer, and the API server never sees the request', async () => {
    proxy.inject({ fault: { reset: true } });
    await expect(send(`${proxy.url}/echo`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(api.seen).toHaveLength(0);
  });

  test('delay: forwarded after it; with a status, answered after it without forwarding', async () => {
    proxy.inject({ match: { path: /^\/slow$/ }, fault: { delayMs: 200 } });
    proxy.inject({ match: { path: /^\/slow-failure/ }, fault: { delayMs: 200, status: 500 } });
    const timed = async (path: string) => {
      const started = performance.now();
      const reply = await send(`${proxy.url}${path}`);
      return { status: reply.status, elapsed: performance.now() - started };
    };
    const slow = await timed('/slow');
    expect(slow.status).toBe(201);
    expect(slow.elapsed).toBeGreaterThanOrEqual(195);
    const slowFailure = await timed('/slow-failure');
    expect(slowFailure.status).toBe(500);
    expect(slowFailure.elapsed).toBeGreaterThanOrEqual(195);
    expect(api.seen.map((seen) => seen.url)).toEqual(['/slow']);
  });

  test('a rule matches on method (any case), on path and query, and on whether the request is a watch', async () => {
    proxy.inject({ match: { method: 'delete' }, fault: { status: 500 } });
    proxy.inject({ match: { path: /labelSelector=app%3Dkernel/ }, fault: { status: 503 } });
    proxy.inject({ match: { watch: true }, fault: { status: 429 } });
    proxy.inject({ match: { watch: false, path: /^\/api\/v1\/namespaces\/b\// }, fault: { status: 404 } });
    const status = async (path: string, method = 'GET') => (await send(`${proxy.url}${path}`, { method })).status;
    expect(await status('/api/v1/namespaces/a/pods/p', 'DELETE')).toBe(500);
    expect(await status('/api/v1/namespaces/a/pods?labelSelector=app%3Dkernel')).toBe(503);
    expect(await status('/api/v1/namespaces/a/pods?watch=true')).toBe(429);
    expect(await status('/api/v1/namespaces/a/pods?watch=1')).toBe(429);
    expect(await status('/api/v1/namespaces/b/pods')).toBe(404);
    expect(await status('/api/v1/namespaces/a/pods?watch=false')).toBe(201);
    expect(await status('/api/v1/namespaces/a/pods', 'POST')).toBe(201);
  });

  test('times: a rule applies so often, then removes itself; remove() and clear() take rules out', async () => {
    const status = async () => (await send(`${proxy.url}/echo`)).status;
    const twice = proxy.inject({ fault: { status: 503 }, times: 2 });
    expect([await status(), await status(), await status()]).toEqual([503, 503, 201]);
    expect(twice.applied).toBe(2);

    const removed = proxy.inject({ fault: { status: 500 } });
    expect(await status()).toBe(500);
    removed.remove();
    expect(await status()).toBe(201);
    expect(removed.applied).toBe(1);

    proxy.inject({ fault: { status: 500 } });
    proxy.inject({ fault: { status: 503 } });
    proxy.clear();
    expect(await status()).toBe(201);
  });

  test('probability: the proxy\'s random decides, so a seeded one fails the same requests every run', async () => {
    const seed = 7;
    const draws = seededRandom(seed);
    const expected = Array.from({ length: 30 }, () => (draws() < 0.3 ? 503 : 201));
    const seeded = await startFaultProxy({ upstream, random: seededRandom(seed) });
    // A certain rule before it does not roll, so it takes none of the seeded draws.
    seeded.inject({ match: { method: 'POST' }, fault: { status: 500 } });
    seeded.inject({ fault: { status: 503 }, probability: 0.3 });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      expect((await send(`${seeded.url}/echo`, { method: 'POST' })).status).toBe(500);
      statuses.push((await send(`${seeded.url}/echo`)).status);
    }
    await seeded.stop();
    expect(statuses).toEqual(expected);
    expect(statuses).toContain(503);
    expect(statuses).toContain(201);
  });

  test('a rule that makes no sense is refused', () => {
    expect(() => proxy.inject({ fault: { status: 503, reset: true } as never })).toThrow('not both');
    expect(() => proxy.inject({ fault: {} as never })).toThrow('needs status, reset or delayMs');
    expect(() => proxy.inject({ fault: { status: 5000 } })).toThrow('HTTP status code');
    expect(() => proxy.inject({ fault: { delayMs: -1 } })).toThrow('non-negative');
    expect(() => proxy.inject({ fault: { status: 503 }, probability: 1.5 })).toThrow('within 0..1');
    expect(() => proxy.inject({ fault: { status: 503 }, times: 0 })).toThrow('positive integer');
  });
});

describe('fault proxy: outages', () => {
  test('an outage cuts the open stream (the API server sees it end), fails every request with 503 until it ends', async () => {
    const stream = api.nextStream();
    const res = await open(`${proxy.url}/stream?watch=true`);
    const server = await stream;
    await nextChunk(res);
    const serverSideClosed = once(server, 'close');
    const ended = ending(res);
    proxy.startOutage();
    expect(await ended).toEqual({ complete: false });
    await serverSideClosed;

    const during = await send(`${proxy.url}/api/v1/namespaces`);
    expect(during.status).toBe(503);
    expect(JSON.parse(during.body)).toMatchObject({ code: 503, reason: 'ServiceUnavailable', message: expect.stringContaining('(outage)') });
    expect(() => proxy.startOutage()).toThrow('already on');
    proxy.endOutage();
    expect((await send(`${proxy.url}/echo`)).status).toBe(201);
  });

  test('a request held back by a delay is cut by an outage, and never forwarded', async () => {
    proxy.inject({ fault: { delayMs: 60_000 } });
    const held = send(`${proxy.url}/echo`);
    await eventually(async () => proxy.stats().delays, (delays) => delays === 1);
    proxy.startOutage();
    await expect(held).rejects.toMatchObject({ code: 'ECONNRESET' });
    proxy.endOutage();
    expect(api.seen).toHaveLength(0);
    expect(proxy.stats()).toMatchObject({ forwarded: 0, cuts: 1 });
  });

  test('outage(ms) resets requests if told to, ends by itself and then resolves', async () => {
    const over = proxy.outage(2_000, { reset: true });
    await expect(send(`${proxy.url}/echo`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    await over;
    expect((await send(`${proxy.url}/echo`)).status).toBe(201);
  });

  test('stop() cuts open streams (the API server sees them end) and stops listening', async () => {
    const stopping = await startFaultProxy({ upstream });
    const stream = api.nextStream();
    const res = await open(`${stopping.url}/stream?watch=true`);
    const server = await stream;
    const serverSideClosed = once(server, 'close');
    const ended = ending(res);
    await stopping.stop();
    expect(await ended).toEqual({ complete: false });
    await serverSideClosed;
    await expect(send(`${stopping.url}/echo`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  test('stop() ends an outage still on, so outage(ms) resolves', async () => {
    const over = proxy.outage(60_000);
    await proxy.stop();
    await over;
  });
});

describe('fault proxy: stats', () => {
  test('count what was forwarded and each fault, and log the recent faults with method, path and cause', async () => {
    proxy.inject({ match: { method: 'DELETE' }, fault: { status: 503 }, times: 2 });
    proxy.inject({ match: { method: 'PUT' }, fault: { reset: true }, times: 1 });
    proxy.inject({ match: { method: 'PATCH' }, fault: { delayMs: 1 }, times: 1 });
    await send(`${proxy.url}/a`, { method: 'DELETE' });
    await send(`${proxy.url}/b`, { method: 'DELETE' });
    await send(`${proxy.url}/c`, { method: 'DELETE' });
    await expect(send(`${proxy.url}/d`, { method: 'PUT' })).rejects.toThrow();
    await send(`${proxy.url}/e`, { method: 'PATCH' });

    const stats = proxy.stats();
    expect(stats).toMatchObject({ received: 5, forwarded: 2, statuses: { 503: 2 }, resets: 1, delays: 1, cuts: 0 });
    expect(stats.recent.map(({ method, path, fault, cause }) => ({ method, path, fault, cause }))).toEqual([
      { method: 'DELETE', path: '/a', fault: { status: 503 }, cause: 'rule' },
      { method: 'DELETE', path: '/b', fault: { status: 503 }, cause: 'rule' },
      { method: 'PUT', path: '/d', fault: { reset: true }, cause: 'rule' },
      { method: 'PATCH', path: '/e', fault: { delayMs: 1 }, cause: 'rule' },
    ]);
    expect(stats.recent[0]?.at).toBeInstanceOf(Date);
  });
});

describe('fault proxy: writeKubeconfigThroughProxy', () => {
  test('client-node loads it and talks plain http to the proxy with the bearer token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fault-proxy-kubeconfig-'));
    const file = join(dir, 'kubeconfig');
    writeKubeconfigThroughProxy(proxy.url, 't0ken', file);
    const config = new KubeConfig();
    config.loadFromFile(file);
    const namespaces = await config.makeApiClient(CoreV1Api).listNamespace();
    rmSync(dir, { recursive: true, force: true });
    expect(namespaces.items.map((namespace) => namespace.metadata?.name)).toEqual(['seen-through-proxy']);
    expect(api.seen[0]).toMatchObject({ method: 'GET', url: '/api/v1/namespaces', headers: { authorization: 'Bearer t0ken' } });
  });
});
