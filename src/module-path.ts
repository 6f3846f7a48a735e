import { fileURLToPath } from 'node:url';

/**
 * The file of the module `stem` relative to `base` (an import.meta.url), for Temporal options that
 * take a path: the source (.ts) under test, the compiled file (.js) otherwise; both load either.
 */
export function siblingModulePath(base: string, stem: string): string {
  const extension = base.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`${stem}${extension}`, base));
}
