import { Type } from '@sinclair/typebox';
import { dssUser } from '../../client/schema-check.js';

// The maps of the API's own routes use the request bodies' rule: every key checked, every value too.
export { anyKeys } from '../../client/schema-check.js';

/** `?user=` of the lists: a DSS login as the requests that start work take it (no control characters). */
export function userFilter(listed: string) {
  return Type.Object({
    user: Type.Optional(dssUser(`Only the ${listed} of this DSS login (no control characters)`)),
  }, { additionalProperties: false });
}
