#!/usr/bin/env bash
# The one test command: installs what the tests need, builds, lints and runs every suite.
# Fails loudly when anything it needs cannot be installed; it never skips a suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm dependencies and system services (PostgreSQL, Chromium, Redis, slapd).
# shellcheck source=/dev/null
source scripts/prepare-tests.sh

log "build (tsc -b type-checks every package; the console and demo apps are bundled)"
npm run build

log "type-check tests and benchmarks"
npx tsc -p tsconfig.test.json

log "lint and format check (biome)"
npx biome ci --colors=off .

log "tests (vitest)"
npx vitest run "$@"
