import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hashToken, newToken, type TokensFile } from '../api/auth.js';

/**
 * The embedded stack's API credential: a random operator token in `tokenPath` (kept across
 * restarts) and its hash in `tokensFile`, which the API reads.
 */
export function ensureLocalApiToken(tokenPath: string, tokensFile: string): string {
  if (!existsSync(tokenPath)) writeFileSync(tokenPath, `${newToken()}\n`, { mode: 0o600 });
  const token = readFileSync(tokenPath, 'utf8').trim();
  const file: TokensFile = { tokens: [{ name: 'local-operator', sha256: hashToken(token), scopes: ['*'] }] };
  writeFileSync(tokensFile, `${JSON.stringify(file, null, 2)}\n`);
  return token;
}
