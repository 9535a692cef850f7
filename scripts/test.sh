#!/usr/bin/env bash
# The one test command: installs what the tests need, builds, lints and runs every suite.
# Fails loudly when anything it needs cannot be installed; it never skips a suite.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci: the lock file is used as it is, never rewritten)"
  npm ci --no-audit --no-fund
fi

# System services the suites need are installed and started by scripts/services.sh.
if [ -x scripts/services.sh ]; then
  log "system services"
  # shellcheck source=/dev/null
  source scripts/services.sh
fi

log "build (tsc -b type-checks every package; the console and demo apps are bundled)"
npm run build

log "type-check tests and benchmarks"
npx tsc -p tsconfig.test.json

log "lint and format check (biome)"
npx biome ci --colors=off .

log "tests (vitest)"
npx vitest run "$@"
