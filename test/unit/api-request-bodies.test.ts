import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import type { Api } from '../../src/api/api-types.js';
import { buildApi } from '../../src/api/app.js';
import { hashToken, TokenRegistry } from '../../src/api/auth.js';
import { apiDeps } from '../../src/api/deps.js';
import type { TemporalHandle } from '../../src/client/temporal.js';
import { loadRuntimeConfig } from '../../src/config.js';

/** Every answer here comes before a use case would ask Temporal anything; one that did would fail the test. */
const refusing = new Proxy({}, {
  get() {
    throw new Error('this test talks to no Temporal');
  },
});
const noTemporal = { client: refusing, connection: refusing, codec: refusing } as TemporalHandle;

const json = { authorization: 'Bearer ops-token', 'content-type': 'application/json' };

describe('request bodies (the API built as it runs, on a loopback port)', () => {
  let api: Api;
  let baseUrl: string;
  const send = (method: string, path: string, headers: Record<string, string>, body?: string) => fetch(`${baseUrl}${path}`, { method, headers, body });

  beforeAll(async () => {
    const tokens = new TokenRegistry({ tokens: [{ name: 'ops', sha256: hashToken('ops-token'), scopes: ['*'] }] });
    api = await buildApi(apiDeps(loadRuntimeConfig({}), noTemporal, tokens, pino({ level: 'silent' })));
    // Shaped as DELETE /v1/kernels/:kernelId, which asks Temporal: a route that takes no body.
    api.delete('/test/bodiless', async (_request, reply) => reply.status(202).send({ done: true }));
    baseUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await api?.close();
  });

  test('an empty body sent as JSON is no body where the route takes none', async () => {
    const response = await send('DELETE', '/test/bodiless', json);
    expect(response.status).toBe(202);
  });

  test('a route that needs a body refuses an empty one', async () => {
    const response = await send('POST', '/v1/clusters', json);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'VALIDATION', message: 'body must be object' } });
  });

  test('a body that is not JSON is a 400 that says so', async () => {
    const response = await send('DELETE', '/test/bodiless', json, '{"reason":');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'VALIDATION', message: expect.stringMatching(/^Body is not valid JSON/) } });
  });

  test.each(['aws', 5])('a provider outside the union (%p) is told the allowed values', async (provider) => {
    const response = await send('POST', '/v1/clusters', json, JSON.stringify({ name: 'c1', provider }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'VALIDATION', message: 'provider must be one of: gke, static', field: 'provider' } });
  });

  test('a missing provider is still told as missing', async () => {
    const response = await send('POST', '/v1/clusters', json, JSON.stringify({ name: 'c1' }));
    expect(await response.json()).toEqual({ error: { code: 'VALIDATION', message: 'provider is required', field: 'provider' } });
  });
});
