import type { Static, TSchema } from '@sinclair/typebox';
import { validationError } from '../domain/errors.js';
import { firstSchemaProblem } from '../domain/schema-problem.js';

/** A TypeBox check whose first problem becomes a validation error naming the field (a.b.c). */
export function checkAgainst<T extends TSchema>(schema: T, candidate: unknown): Static<T> {
  const problem = firstSchemaProblem(schema, candidate);
  if (!problem) return candidate;
  const field = problem.path.split('/').filter(Boolean).join('.') || 'request';
  throw validationError(field, `${field} ${problem.message}`);
}
