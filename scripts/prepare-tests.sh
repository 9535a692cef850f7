#!/usr/bin/env bash
# Sourced by scripts/test.sh and scripts/test-security.sh (from the repository's root): `log`,
# then what every test run needs first — the npm dependencies from the lock file, and the system
# services the suites use, installed and started by scripts/services.sh, whose exports (database
# URL, browser and server binaries) the caller's shell keeps.

log() { printf '\n== %s\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci: the lock file is used as it is, never rewritten)"
  npm ci --no-audit --no-fund
fi

if [ -x scripts/services.sh ]; then
  log "system services"
  # shellcheck source=/dev/null
  source scripts/services.sh
fi
