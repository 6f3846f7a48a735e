import { readJsonFile } from '../config-file.js';
import type { RuntimeConfig } from '../config.js';
import { defaultKernelSpecs, KernelCatalog } from '../domain/kernel-specs.js';
import type { KernelRequestContext } from './kernel-request.js';

/** The operators' kernel catalogue (KERNEL_SPECS_FILE), or the built-in one; checked at start-up. */
export function loadKernelCatalog(file: string | undefined): KernelCatalog {
  if (!file) return new KernelCatalog(defaultKernelSpecs);
  return KernelCatalog.parse(readJsonFile(file, 'kernel specs', 'KERNEL_SPECS_FILE'), file);
}

/** What the API and the CLI check kernel requests against, from the runtime configuration. */
export function kernelContext(
  config: Pick<RuntimeConfig, 'kernelSpecsFile' | 'prohibitedUids' | 'prohibitedGids' | 'orchestratorNamespace' | 'kernelMaxPerUser' | 'kernelHistoryEventLimit' | 'kernelCullConnected'>,
): KernelRequestContext {
  return {
    cullConnected: config.kernelCullConnected,
    maxPerUser: config.kernelMaxPerUser,
    historyEventLimit: config.kernelHistoryEventLimit,
    catalog: loadKernelCatalog(config.kernelSpecsFile),
    policy: { prohibitedUids: config.prohibitedUids, prohibitedGids: config.prohibitedGids, orchestratorNamespace: config.orchestratorNamespace },
  };
}
