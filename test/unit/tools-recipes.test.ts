import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, toolBinary, toolsCacheRoot } from '../../src/local/paths.js';

describe('tools/ recipes', () => {
  test('without Go they stop with a sentence naming what to install, not a stack trace', () => {
    const cache = mkdtempSync(join(tmpdir(), 'tools-cache-'));
    const result = spawnSync('bash', [join(repoRoot, 'tools', 'build-etcd.sh')], {
      env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME, COMPUTE_ORCHESTRATOR_CACHE: cache },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe("tools: 'go' is missing: install Go 1.24 or newer (https://go.dev/doc/install, or Debian's golang package) and run again.");
  });

  test('a cached component is not rebuilt: the recipe returns at once', () => {
    const result = spawnSync('bash', [join(repoRoot, 'tools', 'build-all.sh')], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain('building');
    expect(result.stdout.trim()).toBe(toolsCacheRoot());
  });

  test('binaries live under the cache, keyed by the pinned version', () => {
    expect(toolBinary('kubernetes', 'kube-apiserver')).toBe(join(toolsCacheRoot(), 'kubernetes', 'v1.34.4', 'bin', 'kube-apiserver'));
    expect(toolBinary('temporal')).toBe(join(toolsCacheRoot(), 'temporal', 'v1.5.1', 'bin', 'temporal'));
    expect(toolBinary('compose-check')).toBe(join(toolsCacheRoot(), 'compose-check', 'v2.16.2', 'bin', 'compose-check'));
  });
});
