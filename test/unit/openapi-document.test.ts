import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Api } from '../../src/api/api-types.js';
import { hashToken, TokenRegistry } from '../../src/api/auth.js';
import { apiErrorCodes } from '../../src/api/errors.js';
import { apiWithoutTemporal, openapiDocumentFile, openapiDocumentText } from '../../src/api/openapi-document.js';
import { repoRoot } from '../../src/local/paths.js';

const methods = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];

/** The parts of OpenAPI 3.0 these tests read. */
interface OperationObject {
  operationId: string;
  tags: string[];
  summary?: string;
  security?: unknown;
  requestBody?: unknown;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

function operationsOf(document: { paths: Record<string, Record<string, OperationObject>> }): Array<{ method: string; path: string; operation: OperationObject }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).filter(([method]) => methods.includes(method)).map(([method, operation]) => ({ method, path, operation })));
}

/** Every `$ref` anywhere in `node`, with where it was found. */
function refsIn(node: unknown, at = '#'): Array<{ at: string; ref: string }> {
  if (Array.isArray(node)) return node.flatMap((item, index) => refsIn(item, `${at}/${index}`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' ? [{ at, ref: String(value) }] : refsIn(value, `${at}/${key}`)));
}

/** Keys that OpenAPI 3.0's schema objects do not have (JSON Schema's newer words), which would break generators. */
function keysIn(node: unknown, wanted: Set<string>, at = '#'): string[] {
  if (Array.isArray(node)) return node.flatMap((item, index) => keysIn(item, wanted, `${at}/${index}`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => [...(wanted.has(key) ? [`${at}/${key}`] : []), ...keysIn(value, wanted, `${at}/${key}`)]);
}

describe('the OpenAPI document', () => {
  let generated: string;
  let document: any;

  beforeAll(async () => {
    generated = await openapiDocumentText();
    document = JSON.parse(generated);
  });

  test('the committed openapi/compute-orchestrator.json is what the code generates', () => {
    const committed = readFileSync(openapiDocumentFile, 'utf8');
    if (committed !== generated) {
      const line = committed.split('\n').findIndex((text, index) => text !== generated.split('\n')[index]) + 1;
      throw new Error(`openapi/compute-orchestrator.json is out of date (first difference at line ${line}): run \`npm run openapi\` and commit the file`);
    }
  });

  test('is OpenAPI 3.0 with the package version, the bearer scheme and described tags', () => {
    expect(document.openapi).toMatch(/^3\.0\.\d+$/);
    expect(document.info.version).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
    expect(document.info.description).toEqual(expect.any(String));
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const tag of document.tags) expect(tag.description).toEqual(expect.any(String));
    expect(keysIn(document, new Set(['const', '$id', '$schema', 'examples']))).toEqual([]);
  });

  test('every operation has a unique operationId, a declared tag, a summary and described answers', () => {
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(15);
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(ids.every((id) => /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set((document.tags as Array<{ name: string }>).map((tag) => tag.name));
    for (const { method, path, operation } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      expect([where, operation.tags.length, operation.tags.every((tag) => tags.has(tag))]).toEqual([where, 1, true]);
      expect([where, typeof operation.summary]).toEqual([where, 'string']);
      for (const [status, response] of Object.entries(operation.responses)) {
        expect([where, status, response.description]).toEqual([where, status, expect.not.stringMatching(/^Default Response$/)]);
      }
      const declared = new Set((operation.parameters ?? []).filter((parameter) => parameter.in === 'path' && parameter.required).map((parameter) => parameter.name));
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) expect([where, name, declared.has(name!)]).toEqual([where, name, true]);
    }
  });

  test("every authenticated operation needs the bearer token and answers errors in the Error shape (Jupyter's routes with Jupyter's message and reason beside)", () => {
    expect(document.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
    expect(document.components.schemas.Error.properties.error.properties.code.enum).toEqual([...apiErrorCodes]);
    expect(document.components.schemas.JupyterError.required).toEqual(['message', 'reason', 'error']);
    for (const { method, path, operation } of operationsOf(document).filter(({ path }) => path !== '/healthz')) {
      const where = `${method.toUpperCase()} ${path}`;
      const errorRef = { $ref: `#/components/schemas/${/^\/(api|kernelspecs)\//.test(path) ? 'JupyterError' : 'Error'}` };
      expect([where, operation.security]).toEqual([where, [{ bearer: [] }]]);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^[45]/.test(status)) continue;
        expect([where, status, response.content?.['application/json']?.schema]).toEqual([where, status, errorRef]);
      }
      for (const status of ['401', '403', '500']) expect([where, status in operation.responses]).toEqual([where, true]);
      if (operation.requestBody || operation.parameters) expect([where, '400' in operation.responses]).toEqual([where, true]);
    }
    expect(operationsOf(document).find(({ path }) => path === '/healthz')!.operation.security).toBeUndefined();
  });

  test('every $ref points at a component', () => {
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(0);
    for (const { at, ref } of refs) {
      const target = ref.replace(/^#\//, '').split('/').reduce<any>((node, part) => node?.[part], document);
      expect([at, ref, target !== undefined]).toEqual([at, ref, true]);
    }
  });
});

describe('answers before Temporal is asked are the documented errors', () => {
  let api: Api;
  let baseUrl: string;
  let document: any;

  beforeAll(async () => {
    api = await apiWithoutTemporal(new TokenRegistry({ tokens: [{ name: 'plugin', sha256: hashToken('plugin-token'), scopes: ['spark-jobs', 'kernels'] }] }));
    document = api.swagger();
    baseUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => api.close());

  const sparkPi = { user: 'alice', app: { image: 'apache/spark:4.0.1', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar' } };

  test.each([
    { what: 'no token', method: 'POST', url: '/v1/spark-jobs', path: '/v1/spark-jobs', token: undefined, body: sparkPi, status: 401, code: 'UNAUTHENTICATED', field: undefined },
    { what: 'a token without the scope', method: 'DELETE', url: '/v1/clusters/c1', path: '/v1/clusters/{name}', token: 'plugin-token', body: undefined, status: 403, code: 'FORBIDDEN', field: undefined },
    { what: 'an unknown field', method: 'POST', url: '/v1/spark-jobs', path: '/v1/spark-jobs', token: 'plugin-token', body: { ...sparkPi, usr: 'x' }, status: 400, code: 'VALIDATION', field: 'usr' },
    { what: 'a missing field', method: 'POST', url: '/v1/spark-jobs', path: '/v1/spark-jobs', token: 'plugin-token', body: { user: 'alice', app: { image: 'i' } }, status: 400, code: 'VALIDATION', field: 'app.mainApplicationFile' },
    { what: 'a cancel without a body', method: 'POST', url: '/v1/spark-jobs/j1/cancel', path: '/v1/spark-jobs/{jobId}/cancel', token: 'plugin-token', body: undefined, status: 400, code: 'VALIDATION', field: undefined },
    { what: 'a prohibited KERNEL_UID', method: 'POST', url: '/v1/kernels', path: '/v1/kernels', token: 'plugin-token', body: { user: 'alice', env: { KERNEL_UID: '0' } }, status: 403, code: 'FORBIDDEN', field: 'env.KERNEL_UID' },
  ])('$what: $status $code', async ({ method, url, path, token, body, status, code, field }) => {
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.status).toBe(status);
    const answer: any = await response.json();
    expect(answer).toEqual({ error: { code, message: expect.any(String), ...(field ? { field } : {}) } });
    expect(apiErrorCodes).toContain(code);
    expect(Object.keys(document.paths[path][method.toLowerCase()].responses)).toContain(String(status));
  });
});
