import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The first way `value` misses `schema` (a JSON pointer and a message), or undefined when it fits. */
export function firstSchemaProblem(schema: TSchema, value: unknown): { path: string; message: string } | undefined {
  if (Value.Check(schema, value)) return undefined;
  const first = [...Value.Errors(schema, value)][0];
  return { path: first?.path ?? '', message: first?.message ?? 'bad shape' };
}
