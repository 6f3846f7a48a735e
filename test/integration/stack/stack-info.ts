import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultStateDir, localSparkSubmitEnv } from '../../../src/local/paths.js';
import { writeKernelSpecs } from './simulated-kernels.js';

/** Where the test run's stack lives (global-setup.mjs): apart from `npm start`'s, so both can run at once. */
export const testStateDir = process.env.TEST_STACK_DIR || join(defaultStateDir, 'test-stack');
const infoFile = join(testStateDir, 'stack.json'); // written by global-setup.mjs

export interface StackInfo {
  temporalAddress: string;
  temporalUiUrl: string;
  /** The administrator's: for fixtures and assertions. */
  kubeconfig: string;
  /** The orchestrator's service account, bound only to deploy/rbac's role: every worker runs with it. */
  workerKubeconfig: string;
  apiserverUrl: string;
  /** The real node's name, when this machine runs one (root, cgroups, no other stack holding it). */
  realNode?: string;
  /** Why there is no real node. */
  kwokOnlyReason?: string;
  /** Where the real node's kernels send their connection information. */
  kernelResponseHost?: string;
  /** The payload keys every worker, client and CLI of the run shares. */
  codecKeysFile: string;
}

export function readStackInfo(): StackInfo {
  return JSON.parse(readFileSync(infoFile, 'utf8')) as StackInfo;
}

/** The variables that point the orchestrator (worker, API, CLI) at the test stack. */
export function stackEnv(): Record<string, string> {
  const info = readStackInfo();
  return {
    TEMPORAL_ADDRESS: info.temporalAddress, KUBECONFIG_LOCAL: info.workerKubeconfig,
    ...localSparkSubmitEnv(), CODEC_KEYS_FILE: info.codecKeysFile,
    // No janitor Schedule unless a test asks: each test file has its own task queue.
    JANITOR_INTERVAL_SECONDS: '0',
    // Kernels run simulated on the kwok node unless a test names a kernel with a real image.
    KERNEL_SPECS_FILE: writeKernelSpecs(testStateDir, 'kernel-specs-simulated'),
    ...(info.kernelResponseHost ? { KERNEL_RESPONSE_HOST: info.kernelResponseHost } : {}),
  };
}
