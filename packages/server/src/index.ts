/**
 * @bulwark/server: the Bulwark backend as a standalone Fastify app (`buildApp`, `startServer`)
 * or as a plugin for an existing Fastify server (`bulwarkPlugin`), with the identity layer
 * (accounts, devices, DPoP-bound sessions, throttling, security event log) it is built on.
 *
 * This is the package's only entry point and it exports what an application or an operator
 * needs: building and mounting the server, its configuration, the database, guarding one's own
 * routes, seeding and provisioning accounts, the security event log and its verification, and
 * every error class the package throws. The rest (route helpers, DPoP internals, policy storage,
 * migrations, problem rendering) is internal: the package's own tests import it by relative path
 * (`../src/…`), and nothing outside the package may rely on it. test/public-surface.test.ts
 * holds the list, so a change to it is a visible decision (docs/README.md#public-surface).
 */
export { type AppOptions, type BulwarkPluginOptions, buildApp, bulwarkPlugin } from './app.js';
export type { AndroidKeyConfig } from './attestation/android/key-attestation.js';
export type { RevocationListOptions } from './attestation/android/revocation.js';
export type { AppAttestConfig } from './attestation/apple/app-attest.js';
export type { AttestationOptions } from './attestation/config.js';
export { AttestationError, type AttestationFailureCode } from './attestation/errors.js';
export { requireIntegrity } from './attestation/guard.js';
export type { PlayIntegrityConfig } from './attestation/play-integrity.js';
export {
  type AttestationPolicyOptions,
  DEFAULT_RULES,
  type IntegrityAction,
  type IntegrityDecision,
  type IntegrityRules,
} from './attestation/policy.js';
export { APPLE_APP_ATTESTATION_ROOT_CA, GOOGLE_HARDWARE_ATTESTATION_ROOTS } from './attestation/roots.js';
export type { Evidence } from './attestation/service.js';
export type { EvidenceKind, Verdict, VerdictClass, VerdictStatus } from './attestation/verdict.js';
export {
  type BulwarkConfig,
  type CollectionConfig,
  type CollectionHooks,
  type CollectionRules,
  type DeleteDecision,
  type DeleteEvent,
  defineConfig,
  type HookIssue,
  type HookUser,
  type SyncOptions,
  type WriteDecision,
  type WriteEvent,
} from './config/define.js';
export { ConfigError } from './config/errors.js';
export { loadConfig } from './config/load.js';
export type {
  Argon2Params,
  AuthConfig,
  AuthOptions,
  DpopOptions,
  PasswordOptions,
  ThrottleOptions,
} from './config.js';
export {
  createServerContext,
  type DataRuntime,
  type ServerContext,
  type ServerContextOptions,
} from './context.js';
export {
  runSeed,
  type Seed,
  type SeedApi,
  SeedError,
  type SeededAccount,
  type SeedResult,
  type SeedUser,
} from './data/seed.js';
export { type DatabaseOptions, type OpenDatabase, openDatabase, SQLITE_FILE } from './db/database.js';
export type { CacheDatabase, Database, DeviceStatus, RevocationReason, Role } from './db/schema.js';
export type { DevicePolicyOptions, DeviceSettings, Posture } from './devices/policy.js';
export { DeviceRevokedError } from './devices/registry.js';
export { DpopProofError, UseDpopNonceError } from './dpop/verify.js';
export {
  type SecurityEvent,
  type SecurityEventEntry,
  SecurityEventLog,
  type SecurityEventQuery,
  type SecurityEventType,
  type SecurityEventView,
} from './events/log.js';
export { type ChainProblem, type ChainReport, verifyEventChain } from './events/verify.js';
export { type AuthInfo, authOf, type RequireAuthOptions, requireAuth } from './http/authenticate.js';
export { type AnyServerError, SERVER_ERROR_CODES, type ServerErrorCode } from './http/codes.js';
export { type LoggedRequest, logRequest } from './http/log-request.js';
export {
  clientErrorProblem,
  frameworkProblem,
  HttpProblem,
  type ProblemBody,
  type ProblemIssue,
} from './http/problem.js';
export { parseTrustProxy, type TrustProxy, TrustProxyError } from './http/trust-proxy.js';
export type { WebApp, WebApps } from './http/web-apps.js';
export { resetPasswordOnServer, type ServerPasswordReset } from './identity/bootstrap.js';
export type {
  ClaimMapping,
  FederationOptions,
  LdapProviderOptions,
  OidcProviderOptions,
  ProviderOptions,
  RegisteredAppOptions,
  SamlProviderOptions,
} from './identity/federation/config.js';
export {
  PasskeyError,
  type PasskeyErrorCode,
  type PasskeyReset,
  resetPasskeys,
} from './identity/passkeys.js';
export { createUser, type NewUser } from './identity/users.js';
export { SaturatedError } from './lib/semaphore.js';
export { RuleError } from './rules/errors.js';
export type { ClaimCondition, ClaimRef, Claims, FieldCondition, Literal, Rule } from './rules/rule.js';
export { type RunningServer, ServeConfigError, type ServeOptions, startServer } from './serve.js';
export { InvalidTokenError } from './tokens/access-token.js';
export { RefreshTokenError } from './tokens/sessions.js';
