import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { readJsonFile } from '../config-file.js';
import { firstSchemaProblem } from '../domain/schema-problem.js';

/**
 * What a token may do; a route names the one it needs. `*` is every scope (operators); `codec`
 * decrypts payloads (the Web UI's codec endpoint), so it is for people allowed to see them;
 * `metrics` reads /metrics and nothing else (Prometheus' scrape token).
 */
export const scopes = ['spark-jobs', 'kernels', 'clusters', 'janitor', 'codec', 'metrics'] as const;
export type Scope = (typeof scopes)[number];

const TokenEntry = Type.Object({
  name: Type.String({ minLength: 1 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  scopes: Type.Array(Type.Union([...scopes.map((scope) => Type.Literal(scope)), Type.Literal('*')]), { minItems: 1 }),
  /** The one DSS login this token acts for (a user's Jupyter Server); absent: any user (a trusted service such as the DSS plugin). */
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
}, { additionalProperties: false });
const TokensFile = Type.Object({ tokens: Type.Array(TokenEntry) }, { additionalProperties: false });
export type TokenEntry = Static<typeof TokenEntry>;
export type TokensFile = Static<typeof TokensFile>;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Only hashes are stored, so the tokens file is no secret. */
export function hashToken(token: string): string {
  return sha256(token).toString('hex');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface Principal {
  name: string;
  scopes: ReadonlyArray<Scope | '*'>;
  /** Set when the token acts for one user only. */
  user?: string;
}

export class TokenRegistry {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(file: TokensFile) {
    this.entries = file.tokens.map((entry) => ({ digest: Buffer.from(entry.sha256, 'hex'), principal: { name: entry.name, scopes: entry.scopes, ...(entry.user !== undefined ? { user: entry.user } : {}) } }));
  }

  static fromFile(path: string): TokenRegistry {
    const parsed = readJsonFile(path, 'API tokens file', 'API_TOKENS_FILE');
    const problem = firstSchemaProblem(TokensFile, parsed);
    if (problem) throw new Error(`API tokens file ${path} is invalid at '${problem.path}': ${problem.message}`);
    return new TokenRegistry(parsed as TokensFile);
  }

  /** The principal of a presented token, compared in constant time; undefined when unknown. */
  authenticate(token: string): Principal | undefined {
    const digest = sha256(token);
    return this.entries.find((entry) => timingSafeEqual(entry.digest, digest))?.principal;
  }
}

export function allows(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('*') || principal.scopes.includes(scope);
}
