#!/usr/bin/env bash
# The one start command: installs on first run, builds, then runs `bulwark serve` on embedded SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
npx tsc -b
exec node packages/cli/dist/bin.js serve "$@"
