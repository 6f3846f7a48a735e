import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allows, hashToken, newToken, TokenRegistry } from '../../src/api/auth.js';

const dir = mkdtempSync(join(tmpdir(), 'auth-test-'));

describe('TokenRegistry', () => {
  const registry = new TokenRegistry({
    tokens: [
      { name: 'plugin', sha256: hashToken('t-plugin'), scopes: ['spark-jobs', 'kernels'] },
      { name: 'ops', sha256: hashToken('t-ops'), scopes: ['*'] },
    ],
  });

  test('finds the principal of a known token and nothing for others', () => {
    expect(registry.authenticate('t-plugin')?.name).toBe('plugin');
    expect(registry.authenticate('t-plugin ')).toBeUndefined();
    expect(registry.authenticate('')).toBeUndefined();
  });

  test('scopes decide what a principal may do; * allows everything', () => {
    const plugin = registry.authenticate('t-plugin')!;
    expect(allows(plugin, 'spark-jobs')).toBe(true);
    expect(allows(plugin, 'janitor')).toBe(false);
    expect(allows(plugin, 'codec')).toBe(false);
    expect(allows(registry.authenticate('t-ops')!, 'janitor')).toBe(true);
    expect(allows(registry.authenticate('t-ops')!, 'codec')).toBe(true);
  });

  test('new tokens are long and distinct; only their hash is stored', () => {
    const [a, b] = [newToken(), newToken()];
    expect(a).not.toBe(b);
    expect(a.length).toBeGreaterThanOrEqual(40);
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a tokens file with an unknown scope is refused with the path of the problem', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ tokens: [{ name: 'x', sha256: hashToken('x'), scopes: ['everything'] }] }));
    expect(() => TokenRegistry.fromFile(file)).toThrow(/invalid at '\/tokens\/0\/scopes\/0'/);
  });

  test("a token may be bound to one user (a user's Jupyter Server): its principal says which", () => {
    const bound = new TokenRegistry({ tokens: [{ name: 'alice-jupyter', sha256: hashToken('t-alice'), scopes: ['kernels'], user: 'alice' }] });
    expect(bound.authenticate('t-alice')).toEqual({ name: 'alice-jupyter', scopes: ['kernels'], user: 'alice' });
    expect(registry.authenticate('t-plugin')).not.toHaveProperty('user');
  });

  test('a tokens file is read from disk', () => {
    const file = join(dir, 'good.json');
    writeFileSync(file, JSON.stringify({ tokens: [{ name: 'disk', sha256: hashToken('t-disk'), scopes: ['clusters'] }] }));
    expect(TokenRegistry.fromFile(file).authenticate('t-disk')?.scopes).toEqual(['clusters']);
  });
});
