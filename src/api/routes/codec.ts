import { Type, type Static } from '@sinclair/typebox';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { PayloadDecryptionError } from '../../codec/errors.js';
import { validationError } from '../../domain/errors.js';
import type { Api, ApiDeps } from '../api-types.js';
import { codecCors } from '../codec-cors.js';
import { anyKeys } from './shared-schemas.js';

// Standard or URL-safe, padded or not, as protobuf's JSON mapping reads it; but never a length the
// decoder refuses (one character past a group of four, padding after fewer than two), which would
// otherwise reach it and fail as an internal error.
const Base64 = Type.String({ pattern: '^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$' });
/** A Payload in protobuf's JSON mapping (bytes as base64), as the Web UI and the Temporal CLI send it. */
const PayloadJson = Type.Object({
  metadata: Type.Optional(anyKeys(Base64)),
  data: Type.Optional(Base64),
  externalPayloads: Type.Optional(Type.Array(Type.Object({
    // An int64: larger values would wrap silently in the protobuf conversion.
    sizeBytes: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9]{1,18}$' }), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })])),
  }, { additionalProperties: false }))),
}, { additionalProperties: false });
type PayloadJson = Static<typeof PayloadJson>;
const Payloads = Type.Object({ payloads: Type.Array(PayloadJson, { maxItems: 10_000 }) }, { additionalProperties: false });

// Temporal refuses payloads over 2 MiB (its default blob size limit); in base64 JSON that is under 3 MiB.
const codecBodyLimitBytes = 4 * 1024 * 1024;

const ProtoPayload = proto.temporal.api.common.v1.Payload;
const fromJson = (json: PayloadJson): Payload => ProtoPayload.fromObject(json);
const toJson = (payload: Payload): PayloadJson => ProtoPayload.toObject(ProtoPayload.create(payload), { bytes: String, longs: String });

async function decodeEach(codec: PayloadCodec, payloads: PayloadJson[]): Promise<PayloadJson[]> {
  return Promise.all(payloads.map(async (json, index) => {
    try {
      const [decoded] = await codec.decode([fromJson(json)]);
      return toJson(decoded!);
    } catch (error) {
      if (error instanceof PayloadDecryptionError) throw validationError(`payloads.${index}`, `payloads.${index}: ${error.message}`);
      throw error;
    }
  }));
}

/**
 * Temporal's codec server protocol (POST <endpoint>/encode and /decode with `{ payloads }`), for
 * the Web UI and `temporal --codec-endpoint`: payloads shown decoded to callers with the `codec`
 * scope. The same codec as the API's own client, so the same keys.
 */
export function codecRoutes(deps: Pick<ApiDeps, 'temporal' | 'codecCorsOrigins'>) {
  const { codec } = deps.temporal;
  return async function register(app: Api): Promise<void> {
    const cors = codecCors(deps.codecCorsOrigins);
    app.addHook('onSend', cors.onSend);
    const operations = {
      decode: { summary: 'Decrypt payloads (Temporal codec server protocol)', convert: (payloads: PayloadJson[]) => decodeEach(codec, payloads) },
      encode: { summary: 'Encrypt payloads with the current key (Temporal codec server protocol)', convert: async (payloads: PayloadJson[]) => (await codec.encode(payloads.map(fromJson))).map(toJson) },
    };
    for (const [name, operation] of Object.entries(operations)) {
      const path = `/codec/${name}`;
      app.options(path, { config: { public: true }, schema: { hide: true } }, cors.preflight);
      app.post(path, {
        config: { scope: 'codec' },
        bodyLimit: codecBodyLimitBytes,
        schema: { operationId: `${name}Payloads`, tags: ['codec'], summary: operation.summary, body: Payloads, response: { 200: { ...Payloads, description: 'The payloads, in the same order' } } },
      }, async (request) => ({ payloads: await operation.convert(request.body.payloads) }));
    }
  };
}
