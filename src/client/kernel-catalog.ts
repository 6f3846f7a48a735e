import { readFileSync } from 'node:fs';
import { defaultKernelSpecs, KernelCatalog } from '../domain/kernel-specs.js';

/** The operators' kernel catalogue (KERNEL_SPECS_FILE), or the built-in one; checked at start-up. */
export function loadKernelCatalog(file: string | undefined): KernelCatalog {
  if (!file) return new KernelCatalog(defaultKernelSpecs);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`kernel specs ${file} cannot be read (set KERNEL_SPECS_FILE): ${(error as Error).message}`);
  }
  return KernelCatalog.parse(parsed, file);
}
