#!/usr/bin/env bash
# The one start command: installs on first run, builds, then runs `bulwark serve` on embedded
# SQLite. Without a --config of the caller's, it serves the demo app's collections.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm ci runs the root `prepare` script, which is the build: building again would repeat it.
  npm ci --no-audit --no-fund
else
  npm run build
fi
args=("$@")
case " $* " in
  *" --config "* | *" -c "* | *" --config="* | *" --help "* | *" -h "*) ;;
  *) args+=(--config apps/demo/bulwark.config.ts) ;;
esac
exec node packages/cli/dist/bin.js serve "${args[@]}"
