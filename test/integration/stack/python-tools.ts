import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, toolsCacheRoot } from '../../../src/local/paths.js';

/** A version pinned in tools/versions.env. */
export function pinnedVersion(name: string): string {
  const match = new RegExp(`^${name}=(\\S+)`, 'm').exec(readFileSync(join(repoRoot, 'tools', 'versions.env'), 'utf8'));
  if (!match?.[1]) throw new Error(`tools/versions.env has no ${name}`);
  return match[1];
}

/** A program of a virtualenv that tools/lib.sh's build_python_venv made, under the same cache key. */
export function pythonVenvProgram(name: string, version: string, program: string): string {
  const pythonMinor = execFileSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
  return join(toolsCacheRoot(), name, `${version}-py${pythonMinor}`, 'bin', program);
}
