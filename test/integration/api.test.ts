import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import type { Api } from '../../src/api/api-types.js';
import { buildApi } from '../../src/api/app.js';
import { hashToken, TokenRegistry } from '../../src/api/auth.js';
import { apiDeps } from '../../src/api/deps.js';
import { loadRuntimeConfig } from '../../src/config.js';
import { connectTemporal, type TemporalHandle } from '../../src/client/temporal.js';
import { startWorker } from '../../src/worker.js';
import { uniqueName } from './stack/kube.js';
import { callApi } from './stack/http.js';
import { stackEnv } from './stack/stack-info.js';

const tokens = new TokenRegistry({
  tokens: [
    { name: 'plugin', sha256: hashToken('plugin-secret'), scopes: ['spark-jobs'] },
    { name: 'operator', sha256: hashToken('operator-secret'), scopes: ['*'] },
  ],
});

const Probe = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 64 }),
  app: Type.Object({ image: Type.String({ minLength: 1 }), args: Type.Optional(Type.Array(Type.String())) }, { additionalProperties: false }),
}, { additionalProperties: false });

describe('the REST API skeleton', () => {
  const taskQueue = uniqueName('api-test');
  let temporal: TemporalHandle;
  let api: Api;
  let baseUrl: string;

  beforeAll(async () => {
    temporal = await connectTemporal(loadRuntimeConfig(stackEnv()));
    api = await buildApi({ ...apiDeps(loadRuntimeConfig({ TEMPORAL_TASK_QUEUE: taskQueue }), temporal, tokens, pino({ level: 'silent' })), bodyLimitBytes: 4096 });
    // A route of the test's own, to exercise what every real route shares.
    await api.register(async (app: Api) => {
      app.post('/v1/probe', { config: { scope: 'spark-jobs' }, schema: { body: Probe } }, (request) => ({ user: request.body.user, by: request.principal?.name }));
      app.get('/v1/operators-only', {}, () => ({ ok: true }));
    });
    baseUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await api.close();
    await temporal.close();
  });

  const call = (method: string, path: string, options: { token?: string; body?: string; contentType?: string } = {}) => callApi(baseUrl, method, path, options);
  const post = (body: unknown, token?: string) => call('POST', '/v1/probe', { token, body: JSON.stringify(body) });

  test('healthz is 503, naming the task queue, while no worker polls it, and 200 once one does', async () => {
    const down = await call('GET', '/healthz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ ok: false, temporal: { ok: true }, worker: { ok: false, pollers: 0 } });
    expect(down.json().worker.error).toContain(taskQueue);

    const worker = await startWorker(loadRuntimeConfig({ ...stackEnv(), TEMPORAL_TASK_QUEUE: taskQueue }), pino({ level: 'silent' }));
    try {
      let up = await call('GET', '/healthz');
      for (let attempt = 0; up.statusCode !== 200 && attempt < 40; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        up = await call('GET', '/healthz');
      }
      expect(up.statusCode).toBe(200);
      expect(up.json()).toMatchObject({ ok: true, temporal: { ok: true }, worker: { ok: true } });
      expect(up.json().worker.pollers).toBeGreaterThan(0);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  test('healthz is 503 when Temporal cannot be reached', async () => {
    const unreachable = await connectTemporal(loadRuntimeConfig(stackEnv()));
    const lonely = await buildApi(apiDeps(loadRuntimeConfig({ TEMPORAL_TASK_QUEUE: taskQueue }), unreachable, tokens, pino({ level: 'silent' })));
    await unreachable.close();
    const lonelyUrl = await lonely.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${lonelyUrl}/healthz`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { temporal: { ok: boolean } }).temporal.ok).toBe(false);
    await lonely.close();
  });

  test('serves an OpenAPI 3 document with bearer security on protected routes', async () => {
    const response = await call('GET', '/openapi.json');
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/healthz'].get.security).toBeUndefined();
    expect(document.paths['/v1/probe'].post.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/v1/probe'].post.requestBody.content['application/json'].schema.required).toEqual(['user', 'app']);
  });

  test('401 without a token or with an unknown one, in the error shape', async () => {
    const missing = await post({ user: 'alice', app: { image: 'spark:3.5' } });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('Authorization: Bearer') } });
    const unknown = await post({ user: 'alice', app: { image: 'spark:3.5' } }, 'guess');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.message).toBe('unknown bearer token');
  });

  test('403 for a token without the scope the route needs', async () => {
    const response = await call('GET', '/v1/operators-only', { token: 'plugin-secret' });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining("token 'plugin' lacks the scope") });
    const operator = await call('GET', '/v1/operators-only', { token: 'operator-secret' });
    expect(operator.statusCode).toBe(200);
  });

  test('a valid request reaches the route with its principal', async () => {
    const response = await post({ user: 'alice', app: { image: 'spark:3.5', args: ['--x'] } }, 'plugin-secret');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ user: 'alice', by: 'plugin' });
  });

  test.each([
    [{ app: { image: 'spark:3.5' } }, 'user', 'user is required'],
    [{ user: 'alice', app: {} }, 'app.image', 'app.image is required'],
    [{ user: 'alice', app: { image: 'spark:3.5', args: 'not-a-list' } }, 'app.args', 'app.args must be array'],
    [{ user: 'alice', app: { image: 'spark:3.5', args: ['ok', 7] } }, 'app.args.1', 'app.args.1 must be string'],
    [{ user: 'alice', app: { image: 'spark:3.5' }, usr: 'typo' }, 'usr', 'usr is not a known field'],
    [{ user: '', app: { image: 'spark:3.5' } }, 'user', 'user must NOT have fewer than 1 characters'],
  ])('400 naming the field for %j', async (body, field, message) => {
    const response = await post(body, 'plugin-secret');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'VALIDATION', message, field } });
  });

  test('400 for a body that is not JSON, 415 for another media type', async () => {
    const broken = await call('POST', '/v1/probe', { token: 'plugin-secret', body: '{"user":' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('VALIDATION');
    const text = await call('POST', '/v1/probe', { token: 'plugin-secret', body: 'user=alice', contentType: 'text/plain' });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  test('413 for a body over the limit', async () => {
    const response = await post({ user: 'alice', app: { image: 'x'.repeat(5000) } }, 'plugin-secret');
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('404 in the error shape for an unknown route', async () => {
    const response = await call('GET', '/v1/nothing-here?x=1', { token: 'operator-secret' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /v1/nothing-here' } });
  });
});
