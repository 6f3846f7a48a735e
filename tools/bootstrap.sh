#!/usr/bin/env bash
# What `npm start` and `npm test` need first on a fresh clone: node modules, the local
# components (built once, then cached), and the compiled code. Quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`tools: Node ${process.version} is too old: install Node 20.19 or newer.`);
    process.exit(1);
  }'

# node_modules is brought in line with the lock file whenever the lock file changed. `npm install`
# rather than `npm ci`: npm 11 writes lock files without other platforms' optional packages and
# then `npm ci` refuses them (npm/cli#8669); `npm install` still installs the locked versions.
lock_state() { sha256sum package.json package-lock.json | sha256sum | cut -d' ' -f1; }
if [ ! -d node_modules ] || [ "$(cat node_modules/.lock-state 2>/dev/null)" != "$(lock_state)" ]; then
  echo "tools: installing node modules" >&2
  npm install --no-audit --no-fund --loglevel=error
  lock_state > node_modules/.lock-state
fi

bash tools/install-debian-packages.sh
bash tools/build-all.sh >/dev/null
npx tsc -p tsconfig.build.json
