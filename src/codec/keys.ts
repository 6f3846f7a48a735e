import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { readJsonFile } from '../config-file.js';
import { firstSchemaProblem } from '../domain/schema-problem.js';

/** AES-256: the only key size the codec takes. */
export const keyBytes = 32;

// Key ids travel in clear in every payload's metadata: short, printable, no separators to confuse.
const keyId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });

/** CODEC_KEYS_FILE: `current` encrypts; every key in `keys` decrypts (rotation). */
const CodecKeysFile = Type.Object({
  current: keyId,
  keys: Type.Record(keyId, Type.String(), { minProperties: 1, additionalProperties: false }),
}, { additionalProperties: false });
export type CodecKeysFile = Static<typeof CodecKeysFile>;

export interface CodecKeys {
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * Checks a parsed keys file, failing on the first problem with its JSON pointer. The messages
 * never quote a key: they end up in logs and terminals.
 */
export function parseCodecKeys(raw: unknown, source: string): CodecKeys {
  const invalid = (path: string, message: string) => new Error(`codec keys file ${source} is invalid at '${path}': ${message}`);
  const problem = firstSchemaProblem(CodecKeysFile, raw);
  if (problem) throw invalid(problem.path, problem.message);
  const file = raw as CodecKeysFile;
  const keys = new Map<string, Buffer>();
  for (const [id, encoded] of Object.entries(file.keys)) {
    const key = Buffer.from(encoded, 'base64');
    // Buffer.from skips what is not base64: only a value that encodes back to itself is one.
    if (key.length !== keyBytes || key.toString('base64') !== encoded) {
      throw invalid(`/keys/${id}`, `must be the base64 of ${keyBytes} random bytes (an AES-256 key), e.g. from 'openssl rand -base64 ${keyBytes}'`);
    }
    keys.set(id, key);
  }
  if (!keys.has(file.current)) throw invalid('/current', `names the key '${file.current}', which is not in 'keys'`);
  return { currentKeyId: file.current, keys };
}

export function loadCodecKeys(path: string): CodecKeys {
  return parseCodecKeys(readJsonFile(path, 'codec keys file', 'CODEC_KEYS_FILE'), path);
}

/** A keys file holding one new random key, current, under a random id (so two generated files never share an id). */
export function newCodecKeysFile(idPrefix: string): CodecKeysFile {
  const id = `${idPrefix}-${randomBytes(4).toString('hex')}`;
  return { current: id, keys: { [id]: randomBytes(keyBytes).toString('base64') } };
}
