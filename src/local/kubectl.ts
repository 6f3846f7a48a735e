import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { toolBinary } from './paths.js';

/** `<stateDir>/bin/kubectl`: the kubectl built with the control plane, same version. */
export function linkKubectl(stateDir: string): string {
  const link = join(stateDir, 'bin', 'kubectl');
  mkdirSync(join(stateDir, 'bin'), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(toolBinary('kubernetes', 'kubectl'), link);
  return link;
}
