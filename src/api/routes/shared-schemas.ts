import { Type, type ObjectOptions, type TSchema } from '@sinclair/typebox';

/**
 * `?user=` of the lists: a DSS login, without control characters. The value ends up quoted in a
 * visibility query, and a NUL there ends the SQL text of Temporal's SQL visibility stores: the
 * server answers UNAVAILABLE, which the client retries for 20 s before the list fails.
 */
export function userFilter(listed: string) {
  return Type.Object({
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: `Only the ${listed} of this DSS login (no control characters)` })),
  }, { additionalProperties: false });
}

/**
 * An object whose every value is `value`, whatever its keys. TypeBox's `Record(Type.String(), …)`
 * says so with the pattern `^(.*)$`, which a key holding a line break does not match: that key's
 * value went unchecked, though the OpenAPI document (`additionalProperties`) says every value is.
 */
export function anyKeys<T extends TSchema>(value: T, options?: ObjectOptions) {
  return Type.Record(Type.String({ pattern: '^[\\s\\S]*$' }), value, options);
}
