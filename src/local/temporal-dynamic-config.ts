import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './paths.js';

/** The one dynamic configuration of every Temporal server the project runs (see the file). */
export const temporalDynamicConfigFile = join(repoRoot, 'temporal-dynamic-config.yaml');

/** The same settings as `temporal server start-dev` flags: each key's unconstrained value. */
export function devServerDynamicConfigFlags(): string[] {
  const settings = parse(readFileSync(temporalDynamicConfigFile, 'utf8')) as Record<string, Array<{ value: unknown; constraints?: unknown }>>;
  return Object.entries(settings).flatMap(([key, values]) => {
    const plain = values.find((entry) => entry.constraints === undefined);
    return plain ? ['--dynamic-config-value', `${key}=${JSON.stringify(plain.value)}`] : [];
  });
}
