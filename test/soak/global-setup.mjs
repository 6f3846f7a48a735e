// Plain ESM, loaded outside Jest's module system: the soak runs the compiled worker and API as
// processes, so they are built first, as the integration tests' global setup does.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function globalSetup() {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: join(dirname(fileURLToPath(import.meta.url)), '..', '..'), stdio: 'inherit' });
}
