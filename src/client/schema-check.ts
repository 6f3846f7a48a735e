import { Type, type ObjectOptions, type Static, type TSchema } from '@sinclair/typebox';
import { validationError } from '../domain/errors.js';
import { firstSchemaProblem } from '../domain/schema-problem.js';

/** A TypeBox check whose first problem becomes a validation error naming the field (a.b.c). */
export function checkAgainst<T extends TSchema>(schema: T, candidate: unknown): Static<T> {
  const problem = firstSchemaProblem(schema, candidate);
  if (!problem) return candidate;
  const field = problem.path.split('/').filter(Boolean).join('.') || 'request';
  throw validationError(field, `${field} ${problem.message}`);
}

// Schema pieces the request bodies (src/client/*-request.ts) and the API's own routes share: both
// the API (Ajv) and checkAgainst (TypeBox) check them, and must refuse the same.

/**
 * A DSS login: no control characters (C0, DEL, C1). It names namespaces and ends up quoted in
 * visibility queries, where a NUL ends the SQL text of Temporal's SQL visibility stores: the
 * server answers UNAVAILABLE, which the client retries for 20 s before the call fails.
 */
export function dssUser(description: string) {
  return Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]+$', description });
}

/**
 * An object whose every key matches `keyPattern` (a regular expression, anchored here) and whose
 * every value is `value`; any other key is refused. TypeBox's `Record(Type.String({ maxLength,
 * pattern }), …)` keeps only the key's pattern (`^(.*)$` without one), and a key outside it was
 * neither refused nor was its value checked: `.` does not match a line break, and `maxLength` was
 * dropped. A key's length limit is therefore part of the pattern (`[\s\S]{0,128}`).
 *
 * The OpenAPI 3.0 document has no words for keys: it shows `additionalProperties: value`, and the
 * map's description should say what its keys may be.
 */
export function keysMatching<T extends TSchema>(keyPattern: string, value: T, options?: ObjectOptions) {
  return Type.Record(Type.String({ pattern: `^${keyPattern}$` }), value, { ...options, additionalProperties: false });
}

/** An object whose every value is `value`, whatever its keys (line breaks too), of at most `maxKeyLength` characters when given. */
export function anyKeys<T extends TSchema>(value: T, { maxKeyLength, ...options }: ObjectOptions & { maxKeyLength?: number } = {}) {
  return keysMatching(`[\\s\\S]${maxKeyLength === undefined ? '*' : `{0,${maxKeyLength}}`}`, value, options);
}
