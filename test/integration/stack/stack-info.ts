import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultStateDir } from '../../../src/local/paths.js';

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
}

export function readStackInfo(): StackInfo {
  return JSON.parse(readFileSync(infoFile, 'utf8')) as StackInfo;
}
