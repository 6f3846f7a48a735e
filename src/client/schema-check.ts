import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { validationError } from '../domain/errors.js';

/** A TypeBox check whose first problem becomes a validation error naming the field (a.b.c). */
export function checkAgainst<T extends TSchema>(schema: T, candidate: unknown): Static<T> {
  if (Value.Check(schema, candidate)) return candidate;
  const first = [...Value.Errors(schema, candidate)][0];
  const field = (first?.path ?? '').split('/').filter(Boolean).join('.');
  throw validationError(field || 'request', `${field || 'request'} ${first?.message ?? 'is invalid'}`);
}
