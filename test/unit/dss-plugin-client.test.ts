import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../src/local/paths.js';

describe('the DSS plugin (its client, lease, clusters, macros and step)', () => {
  test('passes its own Python tests (python3 -m unittest, against a fake API and the dataiku stand-in)', () => {
    const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'tests'], { cwd: join(repoRoot, 'dss-plugin'), encoding: 'utf8', timeout: 60_000 });
    expect({ status: run.status, error: run.error?.message }).toEqual({ status: 0, error: undefined });
    expect(run.stderr).toMatch(/^Ran \d+ tests in .*\n\nOK\n$/m);
  });
});
