import { describe, expect, test } from '@jest/globals';
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

  test('hides the message of an unexpected error behind a 500', () => {
    const mapped = toHttpError(new Error('connect ECONNREFUSED 10.1.2.3 secret-ish detail'));
    expect(mapped).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(mapped.message).not.toContain('10.1.2.3');
  });

  test('framework client errors keep their status', () => {
    expect(toHttpError(Object.assign(new Error('Request body is too large'), { statusCode: 413 }))).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });
});
