import { readFileSync } from 'node:fs';

/** A JSON configuration file; when it cannot be read or parsed, the error names the variable to set. */
export function readJsonFile(path: string, what: string, variable: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${what} ${path} cannot be read (set ${variable}): ${(error as Error).message}`);
  }
}
