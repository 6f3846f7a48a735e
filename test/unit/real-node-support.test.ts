import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../src/local/paths.js';

describe('whether this machine can run a real node', () => {
  test('an ordinary user is told, in one sentence, that a node needs root', () => {
    const module = join(repoRoot, 'src', 'local', 'node', 'host-support.ts');
    const result = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e',
      `import { whyNoRealNode } from ${JSON.stringify(module)}; console.log(whyNoRealNode('/images'));`], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('a real node needs root (containers, cgroups, a network bridge), and this runs as an ordinary user');
  });
});
