import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PayloadDecryptionError } from './errors.js';
import type { CodecKeys } from './keys.js';

/** Metadata of an encrypted payload: what it is, and which key decrypts it. */
export const encryptedEncoding = 'binary/encrypted';
export const keyIdMetadataKey = 'encryption-key-id';

const ivBytes = 12;
const tagBytes = 16;
const ProtoPayload = proto.temporal.api.common.v1.Payload;

const metadataText = (payload: Payload, key: string): string | undefined => {
  const value = payload.metadata?.[key];
  return value ? Buffer.from(value).toString('utf8') : undefined;
};

export function isEncrypted(payload: Payload): boolean {
  return metadataText(payload, 'encoding') === encryptedEncoding;
}

/**
 * AES-256-GCM over the whole serialized payload (its metadata too, so the encoding stays secret),
 * with a fresh random IV per payload and the key id as additional authenticated data. Data is
 * `IV ‖ ciphertext ‖ tag`. Encodes with the current key, decodes with any configured key, and
 * passes through payloads that were never encrypted (histories from before encryption).
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const keyId = this.keys.currentKeyId;
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.key(keyId), iv, { authTagLength: tagBytes });
    cipher.setAAD(Buffer.from(keyId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(ProtoPayload.encode(payload).finish()), cipher.final()]);
    return {
      metadata: { encoding: Buffer.from(encryptedEncoding, 'utf8'), [keyIdMetadataKey]: Buffer.from(keyId, 'utf8') },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = metadataText(payload, keyIdMetadataKey);
    if (keyId === undefined) throw new PayloadDecryptionError(`an encrypted payload has no '${keyIdMetadataKey}' metadata`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < ivBytes + tagBytes) {
      throw new PayloadDecryptionError(`the payload encrypted with key '${keyId}' has ${data.length} bytes, fewer than its IV and tag alone (${ivBytes + tagBytes})`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key(keyId), data.subarray(0, ivBytes), { authTagLength: tagBytes });
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - tagBytes));
    try {
      return ProtoPayload.decode(Buffer.concat([decipher.update(data.subarray(ivBytes, data.length - tagBytes)), decipher.final()]));
    } catch {
      throw new PayloadDecryptionError(`the payload encrypted with key '${keyId}' does not authenticate: it was altered, or '${keyId}' in CODEC_KEYS_FILE is not the key it was encrypted with`);
    }
  }

  private key(keyId: string): Buffer {
    const key = this.keys.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(`a payload is encrypted with the key '${keyId}', which CODEC_KEYS_FILE does not hold (it holds ${[...this.keys.keys.keys()].join(', ')})`);
    }
    return key;
  }
}
