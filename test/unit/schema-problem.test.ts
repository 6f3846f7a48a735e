import { describe, expect, test } from '@jest/globals';
import { Type } from '@sinclair/typebox';
import { checkClusterRequest } from '../../src/client/cluster-request.js';
import { allowedValues, firstSchemaProblem } from '../../src/domain/schema-problem.js';

describe('firstSchemaProblem names the values a field allows, as the API does', () => {
  test('a union of literals, an enum, a literal; nothing for other schemas', () => {
    expect(allowedValues(Type.Union([Type.Literal('gke'), Type.Literal('static')]))).toEqual(['gke', 'static']);
    expect(allowedValues({ type: 'string', enum: ['closed', 'missing'] })).toEqual(['closed', 'missing']);
    expect(allowedValues(Type.Literal(3))).toEqual([3]);
    expect(allowedValues(Type.Union([Type.String(), Type.Integer()]))).toBeUndefined();
    expect(allowedValues(Type.String())).toBeUndefined();
  });

  test.each(['aws', 5])('the CLI tells a provider outside the union (%p) the allowed values', (provider) => {
    expect(() => checkClusterRequest({ name: 'c1', provider })).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'provider', message: 'provider must be one of: gke, static' }));
  });

  test('a missing field is still told as missing', () => {
    expect(firstSchemaProblem(Type.Object({ provider: Type.Union([Type.Literal('gke'), Type.Literal('static')]) }), {}))
      .toEqual({ path: '/provider', message: 'Expected required property' });
  });

  test('a single literal', () => {
    expect(firstSchemaProblem(Type.Object({ version: Type.Literal(1) }), { version: 2 })).toEqual({ path: '/version', message: 'must be 1' });
  });
});
