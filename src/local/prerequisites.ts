import { execFileSync } from 'node:child_process';

/** Stops with a sentence naming what to install, never a stack trace from deep inside a start. */
export class MissingPrerequisiteError extends Error {
  constructor(command: string, install: string) {
    super(`'${command}' is missing: install ${install} and run again.`);
    this.name = 'MissingPrerequisiteError';
  }
}

export function requireCommand(command: string, install: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  } catch {
    throw new MissingPrerequisiteError(command, install);
  }
}
