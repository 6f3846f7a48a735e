import { writeFileSync } from 'node:fs';
import { defaultKernelSpecs, type KernelSpecsFile } from '../domain/kernel-specs.js';

/** Built by tools/build-images.sh with a launcher that speaks Enterprise Gateway's protocol. */
export const localKernelImage = 'docker.io/compute-orchestrator/kernel-py:1';

/**
 * The embedded stack's kernels: on a real node, the Python kernel of our own image (the only
 * kernel image there); with the kwok node alone, Enterprise Gateway's catalogue as simulated
 * pods, which no client can reach.
 */
export function localKernelSpecs(realNode: boolean): KernelSpecsFile {
  if (!realNode) return { ...defaultKernelSpecs, kernels: defaultKernelSpecs.kernels.map((spec) => ({ ...spec, launch: 'pod-only' as const })) };
  return {
    defaultKernel: 'python3',
    kernels: [{ name: 'python3', displayName: 'Python 3', language: 'python', image: localKernelImage, flavor: 'vanilla' }],
  };
}

/** Writes them where the worker, the API and the CLI read KERNEL_SPECS_FILE; returns the path. */
export function writeLocalKernelSpecs(file: string, realNode: boolean): string {
  writeFileSync(file, `${JSON.stringify(localKernelSpecs(realNode), null, 2)}\n`);
  return file;
}
