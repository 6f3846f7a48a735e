import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { oneTimeKeyPair, open, seal, SealedBoxError } from '../../src/codec/sealed-box.js';
import type { SealedBox } from '../../src/domain/sealed-box.js';

const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl';
const context = 'spark-job-lease-1';

/** The same box with one byte of a base64 field flipped. */
function altered(box: SealedBox, field: 'ciphertext' | 'tag' | 'iv' | 'ephemeralKey'): SealedBox {
  const bytes = Buffer.from(box[field], 'base64');
  bytes[bytes.length - 1]! ^= 0x01;
  return { ...box, [field]: bytes.toString('base64') };
}

describe("sealing a lease's token to a request's one-time key", () => {
  test('round trip: the holder of the private key reads the token; the box shows none of it', () => {
    const keys = oneTimeKeyPair();
    const box = seal(token, keys.publicKey, context);
    expect(open(box, keys.privateKey, context)).toBe(token);
    const text = JSON.stringify(box);
    for (const piece of token.split('.')) expect(text).not.toContain(piece);
    expect(box.scheme).toBe('X25519-HKDF-SHA256-A256GCM');
  });

  test('each box is new: the same token sealed twice gives different ciphertexts', () => {
    const keys = oneTimeKeyPair();
    expect(seal(token, keys.publicKey, context).ciphertext).not.toBe(seal(token, keys.publicKey, context).ciphertext);
  });

  test('another private key does not open it', () => {
    const box = seal(token, oneTimeKeyPair().publicKey, context);
    expect(() => open(box, oneTimeKeyPair().privateKey, context)).toThrow(SealedBoxError);
  });

  test('another context (another lease) does not open it', () => {
    const keys = oneTimeKeyPair();
    expect(() => open(seal(token, keys.publicKey, context), keys.privateKey, 'spark-job-other')).toThrow(SealedBoxError);
  });

  test.each(['ciphertext', 'tag', 'iv', 'ephemeralKey'] as const)('an altered %s does not open', (field) => {
    const keys = oneTimeKeyPair();
    const box = seal(token, keys.publicKey, context);
    expect(() => open(altered(box, field), keys.privateKey, context)).toThrow(SealedBoxError);
  });

  test('a truncated ciphertext or another scheme does not open', () => {
    const keys = oneTimeKeyPair();
    const box = seal(token, keys.publicKey, context);
    expect(() => open({ ...box, ciphertext: Buffer.from(box.ciphertext, 'base64').subarray(1).toString('base64') }, keys.privateKey, context)).toThrow(SealedBoxError);
    expect(() => open({ ...box, scheme: 'none' } as unknown as SealedBox, keys.privateKey, context)).toThrow(SealedBoxError);
  });

  test('a recipient key that is not X25519 is refused before anything is sealed', () => {
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    expect(() => seal(token, ed25519, context)).toThrow(SealedBoxError);
    expect(() => seal(token, 'bm90IGEga2V5', context)).toThrow(SealedBoxError);
  });
});
