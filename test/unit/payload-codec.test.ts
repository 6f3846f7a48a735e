import { describe, expect, test } from '@jest/globals';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AesGcmCodec, encryptedEncoding, keyIdMetadataKey } from '../../src/codec/aes-gcm-codec.js';
import { PayloadDecryptionError } from '../../src/codec/errors.js';
import { loadCodecKeys, parseCodecKeys, type CodecKeys } from '../../src/codec/keys.js';
import { ensureLocalCodecKeys } from '../../src/local/codec-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'codec-test-'));
const base64Key = () => randomBytes(32).toString('base64');
const [k1, k2] = [base64Key(), base64Key()];
const keys = (current: string, material: Record<string, string>): CodecKeys => parseCodecKeys({ current, keys: material }, 'test');
const secret = 'spark.hadoop.fs.s3a.secret.key=wJalrXUtnFEMI/K7MDENG';
const plain = (): Payload => defaultPayloadConverter.toPayload({ conf: secret });
const text = (payload: Payload): string => Buffer.from(JSON.stringify(payload.metadata)).toString() + Buffer.from(payload.data ?? []).toString('latin1');
const metadata = (payload: Payload, key: string): string => Buffer.from(payload.metadata![key]!).toString();

async function decryptionError(codec: AesGcmCodec, payload: Payload): Promise<PayloadDecryptionError> {
  const error = await codec.decode([payload]).then(() => undefined, (failure: unknown) => failure);
  if (error instanceof PayloadDecryptionError) return error;
  throw new Error(`expected a PayloadDecryptionError, got ${String(error)}`);
}

describe('AesGcmCodec', () => {
  const codec = new AesGcmCodec(keys('k1', { k1 }));

  test('round trip: the encoded payload hides data and encoding, names its key, and decodes to the original', async () => {
    const original = plain();
    const [encoded] = await codec.encode([original]);
    expect(metadata(encoded!, 'encoding')).toBe(encryptedEncoding);
    expect(metadata(encoded!, keyIdMetadataKey)).toBe('k1');
    expect(text(encoded!)).not.toContain('secret');
    expect(text(encoded!)).not.toContain('json/plain');
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ conf: secret });
    expect(metadata(decoded!, 'encoding')).toBe('json/plain');
  });

  test('every payload gets its own IV: the same value encrypts differently each time', async () => {
    const [a, b] = await codec.encode([plain(), plain()]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  test('payloads that were never encrypted pass through decode unchanged', async () => {
    const original = plain();
    expect(await codec.decode([original])).toEqual([original]);
  });

  test('rotation: a new current key encrypts, and the old key still decrypts what it encrypted', async () => {
    const [old] = await codec.encode([plain()]);
    const rotated = new AesGcmCodec(keys('k2', { k1, k2 }));
    const [fresh] = await rotated.encode([plain()]);
    expect(metadata(fresh!, keyIdMetadataKey)).toBe('k2');
    const decoded = await rotated.decode([old!, fresh!]);
    expect(decoded.map((payload) => defaultPayloadConverter.fromPayload(payload))).toEqual([{ conf: secret }, { conf: secret }]);
    // Once k1 is retired, its payloads cannot be read any more.
    expect((await decryptionError(new AesGcmCodec(keys('k2', { k2 })), old!)).message)
      .toBe("a payload is encrypted with the key 'k1', which CODEC_KEYS_FILE does not hold (it holds k2)");
  });

  test('altered data, a swapped key id or other key material under the same id does not authenticate', async () => {
    const [encoded] = await codec.encode([plain()]);
    const flipped = Buffer.from(encoded!.data!);
    flipped[20] = flipped[20]! ^ 1;
    const altered = { ...encoded!, data: flipped };
    expect((await decryptionError(codec, altered)).message).toMatch(/^the payload encrypted with key 'k1' does not authenticate: it was altered/);

    const sameMaterialOtherId = new AesGcmCodec(keys('k1', { k1, k9: k1 }));
    const relabelled = { ...encoded!, metadata: { ...encoded!.metadata, [keyIdMetadataKey]: Buffer.from('k9') } };
    expect((await decryptionError(sameMaterialOtherId, relabelled)).message).toContain("key 'k9' does not authenticate");

    expect((await decryptionError(new AesGcmCodec(keys('k1', { k1: k2 })), encoded!)).message).toContain("key 'k1' does not authenticate");
  });

  test('an encrypted payload without a key id, or too short to hold IV and tag, is refused by name', async () => {
    const [encoded] = await codec.encode([plain()]);
    const anonymous = { ...encoded!, metadata: { encoding: encoded!.metadata!.encoding! } };
    expect((await decryptionError(codec, anonymous)).message).toBe("an encrypted payload has no 'encryption-key-id' metadata");
    const truncated = { ...encoded!, data: Buffer.from(encoded!.data!).subarray(0, 10) };
    expect((await decryptionError(codec, truncated)).message).toContain('has 10 bytes, fewer than its IV and tag alone (28)');
  });
});

describe('the codec keys file', () => {
  const problem = (raw: unknown): string => {
    const file = join(dir, `keys-${Math.random()}.json`);
    writeFileSync(file, typeof raw === 'string' ? raw : JSON.stringify(raw));
    try {
      loadCodecKeys(file);
    } catch (error) {
      return (error as Error).message.replace(file, '<file>');
    }
    throw new Error('expected the file to be refused');
  };

  test('a valid file gives the current key id and every key', () => {
    const file = join(dir, 'valid.json');
    writeFileSync(file, JSON.stringify({ current: 'k2', keys: { k1, k2 } }));
    const loaded = loadCodecKeys(file);
    expect(loaded.currentKeyId).toBe('k2');
    expect([...loaded.keys.keys()]).toEqual(['k1', 'k2']);
    expect(loaded.keys.get('k1')!.toString('base64')).toBe(k1);
  });

  test.each([
    ['no current key', { keys: { k1 } }, "'/current': Expected required property"],
    ['no keys', { current: 'k1', keys: {} }, "'/keys': Expected object to have at least 1 properties"],
    ['an unknown field', { current: 'k1', keys: { k1 }, rotation: 'weekly' }, "'/rotation': Unexpected property"],
    ['a key id with a space', { current: 'k1', keys: { k1, 'bad id': k2 } }, "'/keys/bad id': Unexpected property"],
    ['a key that is no string', { current: 'k1', keys: { k1: 42 } }, "'/keys/k1': Expected string"],
    ['a 128-bit key', { current: 'k1', keys: { k1: randomBytes(16).toString('base64') } },
      "'/keys/k1': must be the base64 of 32 random bytes (an AES-256 key), e.g. from 'openssl rand -base64 32'"],
    ['a key that is not base64', { current: 'k1', keys: { k1: `${k1.slice(0, 40)}!!!=` } }, "'/keys/k1': must be the base64 of 32 random bytes"],
    ['a current key that is not among the keys', { current: 'k3', keys: { k1, k2 } }, "'/current': names the key 'k3', which is not in 'keys'"],
  ])('%s is refused, naming the field', (_case, raw, message) => {
    expect(problem(raw)).toContain(`codec keys file <file> is invalid at ${message}`);
  });

  test('no key material ever appears in a message', () => {
    const short = randomBytes(31).toString('base64');
    expect(problem({ current: 'k1', keys: { k1: short } })).not.toContain(short);
  });

  test('a missing or unparsable file names CODEC_KEYS_FILE', () => {
    expect(() => loadCodecKeys(join(dir, 'absent.json'))).toThrow(/^codec keys file .*absent\.json cannot be read \(set CODEC_KEYS_FILE\)/);
    expect(problem('{ not json')).toMatch(/cannot be read \(set CODEC_KEYS_FILE\)/);
  });

  test('the embedded stack makes one random key, owner-readable only, and keeps it', () => {
    const file = join(dir, 'local-keys.json');
    expect(ensureLocalCodecKeys(file)).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = loadCodecKeys(file);
    expect(first.currentKeyId).toMatch(/^local-[0-9a-f]{8}$/);
    ensureLocalCodecKeys(file);
    expect(loadCodecKeys(file).keys.get(first.currentKeyId)!.equals(first.keys.get(first.currentKeyId)!)).toBe(true);
    expect(loadCodecKeys(ensureLocalCodecKeys(join(dir, 'other-keys.json'))).currentKeyId).not.toBe(first.currentKeyId);
  });
});
