import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/local/paths.js';

// Read from the environment but not configuration of ours: a kernel's environment as Enterprise
// Gateway defines it (clients send these), and the platform's own variables.
const notConfiguration = new Set(['USER', 'XDG_CACHE_HOME']);
const kernelEnvironment = /^KERNEL_(?!SPECS_FILE|PROHIBITED_|MAX_PER_USER|HISTORY_EVENT_LIMIT)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []);
}

/** Every NAME the code reads as `env.NAME`, `env['NAME']` or through config.ts's parsers (`integer(env, 'NAME', …)`). */
function variablesRead(): string[] {
  const pattern = /\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])|\(env, '([A-Z][A-Z0-9_]*)'/g;
  const names = new Set<string>();
  for (const file of sourceFiles(join(repoRoot, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) names.add((match[1] ?? match[2] ?? match[3])!);
  }
  return [...names].filter((name) => !notConfiguration.has(name) && !kernelEnvironment.test(name)).sort();
}

describe("README's configuration reference", () => {
  test('documents every environment variable the code reads', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const read = variablesRead();
    expect(read).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'CODEC_KEYS_FILE', 'API_PORT', 'JANITOR_GRACE_SECONDS']));
    expect(read.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
  });
});
