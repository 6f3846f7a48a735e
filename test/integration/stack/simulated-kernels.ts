import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultKernelSpecs, type KernelSpec, type KernelSpecsFile } from '../../../src/domain/kernel-specs.js';

/**
 * The operators' catalogue with every image under `simulate.invalid/`, so that the local stack's
 * admission policy sends these kernels to the kwok node (their real images are not on the real
 * node); a simulated pod runs no launcher, so they are `pod-only`.
 */
export function simulatedKernelSpecs(extra: KernelSpec[] = []): KernelSpecsFile {
  return {
    ...defaultKernelSpecs,
    kernels: [...defaultKernelSpecs.kernels.map((spec) => ({ ...spec, image: `simulate.invalid/${spec.image}`, launch: 'pod-only' as const })), ...extra],
  };
}

/** Writes `specs` where a worker, API or CLI reads KERNEL_SPECS_FILE; returns the path. */
export function writeKernelSpecs(dir: string, name: string, specs: KernelSpecsFile = simulatedKernelSpecs()): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(specs));
  return file;
}
