import { existsSync, writeFileSync } from 'node:fs';
import { newCodecKeysFile } from '../codec/keys.js';

/**
 * The embedded stack's payload key: a random AES-256 key written once to `path`, readable by its
 * owner only, and kept across restarts (the histories in the state directory need it). Returns
 * `path`, for CODEC_KEYS_FILE.
 */
export function ensureLocalCodecKeys(path: string): string {
  if (!existsSync(path)) writeFileSync(path, `${JSON.stringify(newCodecKeysFile('local'), null, 2)}\n`, { mode: 0o600 });
  return path;
}
