import { describe, expect, test } from '@jest/globals';
import { Metadata, status } from '@grpc/grpc-js';
import { ServiceError } from '@temporalio/client';
import { fieldOf, HttpError, toHttpError } from '../../src/api/errors.js';
import { DomainError, validationError } from '../../src/domain/errors.js';

describe('fieldOf', () => {
  test('names the nested field of a schema error', () => {
    expect(fieldOf({ instancePath: '/app/conf', keyword: 'type', params: {} })).toBe('app.conf');
    expect(fieldOf({ instancePath: '/app', keyword: 'required', params: { missingProperty: 'image' } })).toBe('app.image');
    expect(fieldOf({ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'usr' } })).toBe('usr');
    expect(fieldOf({ instancePath: '/app/args/2', keyword: 'type', params: {} })).toBe('app.args.2');
  });
});

describe('toHttpError maps each error once', () => {
  test.each([
    ['VALIDATION', 400], ['FORBIDDEN', 403], ['NOT_FOUND', 404], ['CONFLICT', 409], ['LIMIT_EXCEEDED', 409], ['UNAVAILABLE', 503],
  ] as const)('domain %s is HTTP %i', (code, status) => {
    const mapped = toHttpError(new DomainError(code, 'why'));
    expect(mapped).toMatchObject({ status, code, message: 'why' });
  });

  test('keeps the field of a validation error', () => {
    expect(toHttpError(validationError('namespace.template', 'unknown placeholder ${x}'))).toMatchObject({ status: 400, field: 'namespace.template' });
  });

  test('passes an HttpError through', () => {
    const error = new HttpError(401, 'UNAUTHENTICATED', 'no');
    expect(toHttpError(error)).toBe(error);
  });

  test('Temporal away or busy (gRPC UNAVAILABLE, RESOURCE_EXHAUSTED, a deadline) is 503 UNAVAILABLE; another gRPC error stays a 500', () => {
    const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
    expect(toHttpError(grpcError(status.RESOURCE_EXHAUSTED, 'limit on number of concurrent in-flight updates has been reached (10)'))).toMatchObject({
      status: 503, code: 'UNAVAILABLE', message: 'Temporal cannot take the request now (limit on number of concurrent in-flight updates has been reached (10)): try again',
    });
    expect(toHttpError(new ServiceError('Failed to start workflow', { cause: grpcError(status.UNAVAILABLE, 'connection refused') }))).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    expect(toHttpError(grpcError(status.DEADLINE_EXCEEDED, 'deadline exceeded'))).toMatchObject({ status: 503 });
    expect(toHttpError(grpcError(status.INVALID_ARGUMENT, 'bad'))).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  test('hides the message of an unexpected error behind a 500', () => {
    const mapped = toHttpError(new Error('connect ECONNREFUSED 10.1.2.3 secret-ish detail'));
    expect(mapped).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(mapped.message).not.toContain('10.1.2.3');
  });

  test('framework client errors keep their status', () => {
    expect(toHttpError(Object.assign(new Error('Request body is too large'), { statusCode: 413 }))).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('validation errors name the values a field allows', () => {
  const validation = (...errors: object[]) => Object.assign(new Error('validation'), { statusCode: 400, validation: errors, validationContext: 'body' });
  const union = { anyOf: [{ const: 'gke', type: 'string' }, { const: 'static', type: 'string' }] };

  test("a union of literals, whose branches fail first ('must be equal to constant')", () => {
    const error = validation(
      { instancePath: '/provider', keyword: 'const', message: 'must be equal to constant', params: { allowedValue: 'gke' }, parentSchema: union.anyOf[0] },
      { instancePath: '/provider', keyword: 'const', message: 'must be equal to constant', params: { allowedValue: 'static' }, parentSchema: union.anyOf[1] },
      { instancePath: '/provider', keyword: 'anyOf', message: 'must match a schema in anyOf', params: {}, parentSchema: union },
    );
    expect(toHttpError(error)).toMatchObject({ status: 400, message: 'provider must be one of: gke, static', field: 'provider' });
  });

  test('an enum', () => {
    const error = validation({ instancePath: '/kind', keyword: 'enum', message: 'must be equal to one of the allowed values', params: { allowedValues: ['pod', 'namespace'] }, parentSchema: { type: 'string', enum: ['pod', 'namespace'] } });
    expect(toHttpError(error).message).toBe('kind must be one of: pod, namespace');
  });

  test('a union of other types keeps the first message', () => {
    const sizes = { anyOf: [{ type: 'string', pattern: '^[0-9]+$' }, { type: 'integer' }] };
    const error = validation(
      { instancePath: '/size', keyword: 'type', message: 'must be string', params: { type: 'string' }, parentSchema: sizes.anyOf[0] },
      { instancePath: '/size', keyword: 'type', message: 'must be integer', params: { type: 'integer' }, parentSchema: sizes.anyOf[1] },
      { instancePath: '/size', keyword: 'anyOf', message: 'must match a schema in anyOf', params: {}, parentSchema: sizes },
    );
    expect(toHttpError(error).message).toBe('size must be string');
  });
});
