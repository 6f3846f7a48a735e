import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { Api } from '../../src/api/api-types.js';
import { buildApi } from '../../src/api/app.js';
import { hashToken, TokenRegistry } from '../../src/api/auth.js';
import { openapiDocumentFile } from '../../src/api/openapi-document.js';
import { apiDeps } from '../../src/api/deps.js';
import { checkKernelRequest } from '../../src/client/kernel-request.js';
import { checkSparkJobRequest } from '../../src/client/spark-job-request.js';
import type { TemporalHandle } from '../../src/client/temporal.js';
import { loadRuntimeConfig } from '../../src/config.js';
import { DomainError } from '../../src/domain/errors.js';

/**
 * What API fuzzing found in the bodies that start work: map keys whose limits were not enforced
 * (TypeBox's `Record` drops a key's maxLength), keys with a line break whose value went unchecked
 * (`^(.*)$` does not match them), and users with control characters. Each is refused by the
 * schema, in the API (Ajv) and in the CLI's check (TypeBox), naming the field, before anything
 * asks Temporal.
 */

/** Counts what asks Temporal anything, and refuses it: a request that got that far would be a 500 here. */
let temporalCalls = 0;
const refusing = new Proxy({}, {
  get() {
    temporalCalls += 1;
    throw new Error('this test talks to no Temporal');
  },
});
const noTemporal = { client: refusing, connection: refusing, codec: refusing } as TemporalHandle;

const app = { image: 'spark:3.5.1', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar' };
const longKey = 'a'.repeat(200);

/** Every answer here is an error; the assertions check its shape. */
interface ErrorAnswer {
  error: { code: string; message: string; field?: string };
}

interface Case {
  name: string;
  path: '/v1/spark-jobs' | '/v1/kernels';
  body: Record<string, unknown>;
  field: string;
  /** What the schema says, where a later check would refuse it too with the same field. */
  says?: string;
}

const refused: Case[] = [
  { name: 'a conf key with a line break, its value not a string', path: '/v1/spark-jobs', body: { user: 'ann', app: { ...app, conf: { 'spark.a\nb': 5 } } }, field: 'app.conf.spark.a\nb' },
  { name: 'a conf key of 257 characters', path: '/v1/spark-jobs', body: { user: 'ann', app: { ...app, conf: { [`spark.${'a'.repeat(251)}`]: 'x' } } }, field: `app.conf.spark.${'a'.repeat(251)}` },
  { name: 'an adminProperties key of 200 characters', path: '/v1/spark-jobs', body: { user: 'ann', adminProperties: { [longKey]: 'x' }, app }, field: `adminProperties.${longKey}` },
  { name: 'an adminProperties key with a line break, its value not a string', path: '/v1/spark-jobs', body: { user: 'ann', adminProperties: { 'team\n': { x: 1 } }, app }, field: 'adminProperties.team\n' },
  { name: 'a spark job user with a control character', path: '/v1/spark-jobs', body: { user: 'a\u0001b', app }, field: 'user' },
  { name: 'a spark job user with a line break', path: '/v1/spark-jobs', body: { user: 'ann\n', app }, field: 'user' },
  { name: 'an env key with a newline, its value not a string', path: '/v1/kernels', body: { user: 'ann', env: { 'KERNEL_X\n': { not: 'a string' } } }, field: 'env.KERNEL_X\n', says: 'must be string' },
  { name: 'an env key of 73 characters', path: '/v1/kernels', body: { user: 'ann', env: { [`KERNEL_${'X'.repeat(66)}`]: 'x' } }, field: `env.KERNEL_${'X'.repeat(66)}`, says: 'is not a known field' },
  { name: 'a kernel user with a control character', path: '/v1/kernels', body: { user: 'a\u0001b' }, field: 'user' },
  { name: 'a kernel user with a C1 control character', path: '/v1/kernels', body: { user: 'a\u0085b' }, field: 'user' },
];

describe('keys of maps and users in the bodies that start work (the API as it runs)', () => {
  let api: Api;
  let baseUrl: string;

  beforeAll(async () => {
    const tokens = new TokenRegistry({ tokens: [{ name: 'ops', sha256: hashToken('ops-token'), scopes: ['*'] }] });
    api = await buildApi(apiDeps(loadRuntimeConfig({}), noTemporal, tokens, pino({ level: 'silent' })));
    // On a loopback port, as it runs (light-my-request's inject loads an ES module Jest cannot require).
    baseUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await api?.close();
  });

  beforeEach(() => {
    temporalCalls = 0;
  });

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { authorization: 'Bearer ops-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() as ErrorAnswer };
  };

  test.each(refused)('$name: 400 VALIDATION naming the field, nothing started', async ({ path, body, field, says }) => {
    const answer = await post(path, body);
    expect(answer).toEqual({ status: 400, body: { error: { code: 'VALIDATION', message: expect.stringMatching(/\S/), field } } });
    expect(answer.body.error.message.startsWith(`${field} `)).toBe(true);
    if (says) expect(answer.body.error.message).toBe(`${field} ${says}`);
    expect(temporalCalls).toBe(0);
  });

  test.each(refused)("$name: the CLI's check refuses it too, naming the same field", ({ path, body, field }) => {
    const check = path === '/v1/spark-jobs' ? checkSparkJobRequest : checkKernelRequest;
    let thrown: unknown;
    try {
      check(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({ code: 'VALIDATION', field });
  });

  test('keys at their limits, with line breaks or not, pass the schema: the next check is what answers', async () => {
    // leaseSeconds is for client mode: checked after the schema, before anything asks Temporal.
    const atLimits = {
      user: 'jöhn.doe@example.com', leaseSeconds: 60,
      adminProperties: { ['a'.repeat(128)]: 'x', 'b\nc': 'y', '': 'z' },
      app: { ...app, conf: { [`spark.${'a'.repeat(250)}`]: 'x', 'spark.kubernetes/x': 'y' } },
    };
    expect(await post('/v1/spark-jobs', atLimits)).toMatchObject({ status: 400, body: { error: { field: 'leaseSeconds' } } });
    expect(checkSparkJobRequest(atLimits)).toBe(atLimits);
    // A name of 72 characters is the schema's limit; the kernel plan's rule on names answers.
    const kernel = { user: 'ann', env: { [`KERNEL_${'X'.repeat(65)}`]: 'x' } };
    expect(await post('/v1/kernels', kernel)).toMatchObject({ status: 400, body: { error: { field: `env.KERNEL_${'X'.repeat(65)}`, message: expect.stringContaining('only KERNEL_* variables') } } });
    expect(checkKernelRequest(kernel)).toBe(kernel);
    expect(temporalCalls).toBe(0);
  });

  test("a list's user filter refuses control characters as the requests do", async () => {
    for (const path of ['/v1/spark-jobs', '/v1/kernels']) {
      const response = await fetch(`${baseUrl}${path}?user=a%C2%85b`, { headers: { authorization: 'Bearer ops-token' } });
      expect([path, response.status, (await response.json() as ErrorAnswer).error.field]).toEqual([path, 400, 'user']);
    }
    expect(temporalCalls).toBe(0);
  });

  test('the OpenAPI document still shows every value of the maps (their keys it cannot describe: the descriptions say them)', () => {
    const document = JSON.parse(readFileSync(openapiDocumentFile, 'utf8'));
    const body = (path: string) => document.paths[path].post.requestBody.content['application/json'].schema;
    const maps = {
      adminProperties: body('/v1/spark-jobs').properties.adminProperties,
      conf: body('/v1/spark-jobs').properties.app.properties.conf,
      env: body('/v1/kernels').properties.env,
    };
    for (const [name, map] of Object.entries(maps)) {
      expect([name, map.type, map.additionalProperties.type, map.description]).toEqual([name, 'object', 'string', expect.stringMatching(/at most \d+ characters/)]);
    }
  });
});
