#!/usr/bin/env bash
# The attack tests in one command (`npm run test:security`): every test file that docs/security.md
# lists under "Test evidence", each trying to break one security property. Like scripts/test.sh it
# installs what the suites need (PostgreSQL, Chromium, Redis and slapd, through scripts/services.sh)
# and builds first, since several suites run the built CLI, server and web apps; then it runs
# exactly these files through vitest. Extra arguments go to vitest (e.g. `-- --reporter=verbose`).
# packages/cli/test/security-evidence.test.ts keeps this list and the docs' table the same.
set -euo pipefail
cd "$(dirname "$0")/.."

SECURITY_TESTS=(
  # Crypto: standard vectors, golden bytes, properties, tampering
  packages/core/test/crypto/wycheproof-aes-gcm.test.ts
  packages/core/test/crypto/wycheproof-mac-kdf.test.ts
  packages/core/test/crypto/envelope.test.ts
  packages/core/test/crypto/envelope.property.test.ts
  packages/core/test/crypto/context.test.ts
  packages/core/test/crypto/wrap.test.ts
  packages/client/test/files.test.ts
  # The validator under attack
  packages/core/test/schema/security.test.ts
  packages/core/test/schema/properties.test.ts
  # Data at rest on the device
  packages/client/test/canary.test.ts
  packages/client/test/node-keystore.test.ts
  packages/client/test/durability.test.ts
  packages/client/test/vault.test.ts
  packages/client/test/browser.test.ts
  apps/demo/test/profile.test.ts
  # What a record that leaves the device leaves behind
  packages/client/test/canary-residue.test.ts
  packages/client/test/canary-device.test.ts
  packages/client/test/sync.test.ts
  apps/demo/test/field-app.test.ts
  # Revocation and wipe
  packages/server/test/devices.test.ts
  packages/client/test/wipe.test.ts
  packages/client/test/wipe-paths.test.ts
  packages/client/test/create-client.test.ts
  apps/demo/test/start.test.ts
  apps/demo/test/offline-grace.test.ts
  # The wire: pinning, transport, honesty of the protection report
  packages/client/test/pinning.test.ts
  packages/client/test/transport.test.ts
  packages/client/test/protection.test.ts
  # DPoP, replay and nonces
  packages/server/test/dpop.test.ts
  packages/server/test/auth-hot-path.test.ts
  packages/server/test/session-state-cache.test.ts
  packages/server/test/replay-memory.test.ts
  packages/server/test/scale-single-node.test.ts
  # Sessions, passwords, throttling, passkeys
  packages/server/test/sessions.test.ts
  packages/server/test/identity.test.ts
  packages/server/test/passwords.test.ts
  packages/server/test/trust-proxy.test.ts
  packages/server/test/passkeys.test.ts
  # Authorization and serverOnly
  packages/server/test/authz.test.ts
  packages/server/test/admin.test.ts
  packages/server/test/data.test.ts
  packages/server/test/sync.test.ts
  packages/server/test/rules.test.ts
  # Bad input: fuzzing and problem+json
  packages/server/test/route-sweep.test.ts
  packages/server/test/robustness.test.ts
  packages/server/test/data-robustness.test.ts
  packages/server/test/enrollment.test.ts
  packages/server/test/strict-bodies.test.ts
  packages/server/test/app.test.ts
  # Logs and the security event log
  packages/server/test/logs.test.ts
  packages/server/test/events.test.ts
  packages/cli/test/events.test.ts
  # The admin console in the browser
  apps/console/test/security.test.ts
  apps/console/test/served.test.ts
  # Several nodes, faults and crashes
  packages/server/test/scale-multi-node.test.ts
  packages/server/test/scale-faults.test.ts
  packages/server/test/scale-crash.test.ts
  packages/client/test/e2e-crash.test.ts
  # `bulwark audit` on a hostile app bundle
  packages/cli/test/audit/escape.test.ts
  packages/cli/test/audit/backtracking.test.ts
  packages/cli/test/audit/decoders.test.ts
  packages/cli/test/audit/aab.test.ts
  packages/cli/test/audit/parsers.test.ts
  packages/cli/test/audit/nested.test.ts
  packages/cli/test/audit/cli.test.ts
  # Attestation
  packages/server/test/attestation-verifiers.test.ts
  packages/server/test/attestation.test.ts
  # Federation: OIDC, SAML, LDAP, SSO
  packages/server/test/federation-oidc.test.ts
  packages/server/test/federation-saml.test.ts
  packages/server/test/federation-ldap.test.ts
  packages/server/test/federation-sso.test.ts
  packages/server/test/federation-link.test.ts
  packages/server/test/federation-admin-read.test.ts
  # This list itself: every file named in docs/security.md exists, and it is this list
  packages/cli/test/security-evidence.test.ts
)

for file in "${SECURITY_TESTS[@]}"; do
  [ -f "$file" ] || { printf 'test-security: %s does not exist\n' "$file" >&2; exit 1; }
done

# npm dependencies and system services (PostgreSQL, Chromium, Redis, slapd).
# shellcheck source=/dev/null
source scripts/prepare-tests.sh

log "build (the CLI, server and web apps some of these suites run as built)"
npm run build

log "attack tests (vitest, ${#SECURITY_TESTS[@]} files listed in docs/security.md)"
npx vitest run "${SECURITY_TESTS[@]}" "$@"
