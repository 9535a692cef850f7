/**
 * The error codes of `@bulwark/server` as types: every code the server answers (the `code` of a
 * problem+json, or of a per-field issue) or throws in-process, with the statuses docs/errors.md
 * gives it (`issue`: only inside `issues[]`; `push`: a per-mutation rejection; `—`: a start-up or
 * in-process error, never an HTTP answer). `HttpProblem` accepts only these codes, so a new code
 * does not compile until it is here, and a test keeps this table and docs/errors.md equal.
 */
import type { AnyCoreError } from '@bulwark/core';
import type { AttestationError } from '../attestation/errors.js';
import type { ConfigError } from '../config/errors.js';
import type { SeedError } from '../data/seed.js';
import type { StrictJsonError } from '../data/strict-json.js';
import type { DataDirLockedError } from '../db/instance-lock.js';
import type { DeviceRevokedError } from '../devices/registry.js';
import type { DpopProofError, UseDpopNonceError } from '../dpop/verify.js';
import type { PasskeyError } from '../identity/passkeys.js';
import type { SaturatedError } from '../lib/semaphore.js';
import type { RuleError } from '../rules/errors.js';
import type { ServeConfigError } from '../serve.js';
import type { InvalidTokenError } from '../tokens/access-token.js';
import type { RefreshTokenError } from '../tokens/sessions.js';
import type { HttpProblem } from './problem.js';
import type { TrustProxyError } from './trust-proxy.js';

/**
 * Every code of the server, with its documented statuses.
 *
 * @example
 * ```ts
 * SERVER_ERROR_CODES.device_revoked; // ['403']
 * ```
 */
export const SERVER_ERROR_CODES = {
  // Request and server codes
  invalid_request: ['400'],
  invalid_json: ['400'],
  bad_request: ['4xx'],
  payload_too_large: ['413'],
  unsupported_media_type: ['415'],
  not_found: ['404'],
  invalid_cursor: ['400'],
  invalid_date: ['400'],
  internal_error: ['500'],
  not_ready: ['503'],
  server_busy: ['503'],
  serve_config: ['—'],
  invalid_trust_proxy: ['—'],
  // Data and sync
  validation_failed: ['422'],
  system_field: ['issue'],
  forbidden: ['403'],
  version_conflict: ['409'],
  invalid_filter: ['400'],
  invalid_checkpoint: ['400'],
  unknown_collection: ['push'],
  collection_not_synced: ['push'],
  config_invalid: ['—'],
  rule_invalid: ['—'],
  // Sign-in, accounts and passwords
  invalid_credentials: ['401'],
  login_throttled: ['429'],
  account_disabled: ['401'],
  password_change_required: ['403'],
  password_rejected: ['400'],
  password_too_short: ['issue'],
  password_too_long: ['issue'],
  password_common: ['issue'],
  password_is_username: ['issue'],
  password_unchanged: ['issue'],
  invalid_username: ['400'],
  user_exists: ['409'],
  user_not_found: ['404'],
  cannot_disable_self: ['409'],
  cannot_change_own_role: ['409'],
  last_admin: ['409'],
  cannot_reset_self: ['409'],
  // Passkeys
  passkey_required: ['401'],
  passkey_challenge_invalid: ['401', '400'],
  passkey_not_registered: ['401'],
  passkey_invalid: ['401'],
  passkey_counter_regressed: ['401'],
  passkey_registration_failed: ['400'],
  passkey_exists: ['409'],
  passkey_limit_reached: ['409'],
  passkey_not_found: ['404'],
  passkeys_not_configured: ['503'],
  // Tokens and sessions
  token_missing: ['401'],
  bearer_not_accepted: ['401'],
  invalid_token: ['401'],
  token_expired: ['401'],
  session_revoked: ['401'],
  session_expired: ['401'],
  invalid_refresh_token: ['401'],
  refresh_token_reused: ['401'],
  // DPoP proofs
  dpop_proof_missing: ['401'],
  dpop_proof_multiple: ['401'],
  dpop_proof_malformed: ['401'],
  dpop_proof_typ: ['401'],
  dpop_proof_alg: ['401'],
  dpop_proof_jwk: ['401'],
  dpop_proof_signature: ['401'],
  dpop_proof_jti: ['401'],
  dpop_proof_htm: ['401'],
  dpop_proof_htu: ['401'],
  dpop_proof_iat: ['401'],
  dpop_proof_ath: ['401'],
  dpop_proof_replayed: ['401'],
  dpop_key_mismatch: ['401'],
  use_dpop_nonce: ['401'],
  // Devices
  device_revoked: ['403'],
  device_policy_refused: ['403'],
  device_rooted: ['issue'],
  screen_lock_missing: ['issue'],
  device_emulator: ['issue'],
  app_version_too_old: ['issue'],
  platform_not_allowed: ['issue'],
  device_blocked: ['403'],
  device_conflict: ['409'],
  device_key_mismatch: ['400'],
  device_not_found: ['404'],
  device_already_revoked: ['409'],
  device_not_revoked: ['409'],
  invalid_wipe_receipt: ['400'],
  // Request and server codes
  seed_failed: ['—'],
  // Scale-out and shared state
  database_unavailable: ['503'],
  redis_unavailable: ['503'],
  // Attestation: answered
  attestation_challenge_expired: ['400'],
  attestation_challenge_unknown: ['400'],
  attestation_downgrade: ['409'],
  attestation_not_found: ['404'],
  device_integrity_refused: ['403'],
  device_integrity_step_up: ['403'],
  device_integrity_step_up_failed: ['403'],
  // Federated sign-in, SSO and apps
  app_collection_forbidden: ['403'],
  app_not_assigned: ['403'],
  app_redirect_uri_invalid: ['400'],
  app_unknown: ['404'],
  federated_account_linked: ['409'],
  federated_account_not_found: ['404'],
  federated_account_unknown: ['403'],
  federated_username_taken: ['409'],
  identity_provider_error: ['502'],
  identity_provider_unavailable: ['503'],
  oidc_authorization_denied: ['401'],
  oidc_code_rejected: ['401'],
  oidc_id_token_invalid: ['401'],
  oidc_redirect_uri_invalid: ['400'],
  oidc_redirect_uri_mismatch: ['400'],
  oidc_state_invalid: ['400'],
  provider_unknown: ['404'],
  saml_assertion_replayed: ['401'],
  saml_code_invalid: ['400'],
  saml_redirect_uri_invalid: ['400'],
  saml_relay_state_invalid: ['400'],
  saml_response_invalid: ['401'],
  sso_code_invalid: ['400'],
  // Attestation: the failed step, recorded with the verdict, never sent
  attestation_malformed: ['—'],
  attestation_wrong_root: ['—'],
  attestation_certificate_expired: ['—'],
  attestation_certificate_revoked: ['—'],
  attestation_revocation_unavailable: ['—'],
  attestation_nonce_mismatch: ['—'],
  attestation_key_mismatch: ['—'],
  attestation_app_mismatch: ['—'],
  attestation_signing_digest_mismatch: ['—'],
  attestation_counter_invalid: ['—'],
  attestation_environment_mismatch: ['—'],
  attestation_software_key: ['—'],
  attestation_boot_unverified: ['—'],
  attestation_signature_invalid: ['—'],
  attestation_token_invalid: ['—'],
  attestation_token_stale: ['—'],
  attestation_device_verdict_failed: ['—'],
  attestation_app_verdict_failed: ['—'],
  attestation_not_configured: ['—'],
  data_dir_locked: ['—'],
} as const satisfies Record<string, readonly string[]>;

/**
 * A code of the server.
 *
 * @example
 * ```ts
 * const code: ServerErrorCode = 'invalid_credentials';
 * ```
 */
export type ServerErrorCode = keyof typeof SERVER_ERROR_CODES;

/**
 * Every error the server throws on purpose, as a union that narrows on `code` (as jose's
 * `AnyJOSEError`): the problems it answers with and the configuration and start-up errors.
 *
 * @example
 * ```ts
 * function isSessionEnd(err: AnyServerError): boolean {
 *   return err.code === 'session_revoked' || err.code === 'session_expired';
 * }
 * ```
 */
export type AnyServerError =
  | HttpProblem
  | DpopProofError
  | UseDpopNonceError
  | InvalidTokenError
  | RefreshTokenError
  | DeviceRevokedError
  | SaturatedError
  | PasskeyError
  | StrictJsonError
  | ConfigError
  | RuleError
  | SeedError
  | ServeConfigError
  | TrustProxyError
  | AttestationError
  | DataDirLockedError
  | AnyCoreError;
