import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';

/**
 * The values a JSON schema allows when it lists them (`enum`, `const`, or a union of those, as
 * TypeBox writes `Type.Union([Type.Literal('gke'), Type.Literal('static')])`); otherwise undefined.
 */
export function allowedValues(schema: unknown): unknown[] | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const { enum: listed, anyOf } = schema as { enum?: unknown; anyOf?: unknown };
  if (Array.isArray(listed)) return listed as unknown[];
  if ('const' in schema) return [schema.const];
  if (!Array.isArray(anyOf)) return undefined;
  const branches = anyOf.map(allowedValues);
  return branches.every((values) => values !== undefined) ? branches.flat() : undefined;
}

/** What to say of a value outside `values`; the API and the CLI say the same. */
export function mustBeOneOf(values: unknown[]): string {
  const shown = values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value)));
  return shown.length === 1 ? `must be ${shown[0]}` : `must be one of: ${shown.join(', ')}`;
}

/** The first way `value` misses `schema` (a JSON pointer and a message), or undefined when it fits. */
export function firstSchemaProblem(schema: TSchema, value: unknown): { path: string; message: string } | undefined {
  if (Value.Check(schema, value)) return undefined;
  const first = [...Value.Errors(schema, value)][0];
  if (!first) return { path: '', message: 'bad shape' };
  // TypeBox's "Expected union value" does not say which values.
  const allowed = first.type === ValueErrorType.Union || first.type === ValueErrorType.Literal ? allowedValues(first.schema) : undefined;
  return { path: first.path, message: allowed ? mustBeOneOf(allowed) : first.message };
}
