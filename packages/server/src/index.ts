/**
 * @bulwark/server: the Bulwark backend as a standalone Fastify app (`buildApp`, `startServer`)
 * or as a plugin for an existing Fastify server (`bulwarkPlugin`), with the identity layer
 * (accounts, devices, DPoP-bound sessions, throttling, audit log) it is built on.
 */
export { type AppOptions, type BulwarkPluginOptions, buildApp, bulwarkPlugin } from './app.js';
export {
  type AuditEntry,
  type AuditEvent,
  type AuditEventType,
  type AuditEventView,
  AuditLog,
  type AuditQuery,
} from './audit/log.js';
export { type ChainProblem, type ChainReport, verifyAuditChain } from './audit/verify.js';
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
export {
  ARGON2_MINIMUM,
  type Argon2Params,
  type AuthConfig,
  type AuthOptions,
  type DpopOptions,
  type PasswordOptions,
  resolveAuthConfig,
  type ThrottleOptions,
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
export {
  type DatabaseOptions,
  migrate,
  type OpenDatabase,
  openDatabase,
  redactUrl,
  SQLITE_CACHE_FILE,
  SQLITE_FILE,
} from './db/database.js';
export type { CacheDatabase, Database, DeviceStatus, RevocationReason, Role } from './db/schema.js';
export {
  type DeviceFacts,
  type DevicePolicyOptions,
  type DeviceSettings,
  evaluatePolicy,
  type PolicyAction,
  type PolicyDecision,
  type PolicyFinding,
  type Posture,
} from './devices/policy.js';
export {
  type AdminPolicy,
  DevicePolicyStore,
  POLICY_CACHE_MS,
  SETTING_BOUNDS,
  type StoredPolicy,
} from './devices/policy-store.js';
export { type DeviceDecisionView, DeviceRevokedError, type DeviceView } from './devices/registry.js';
export { POLICY_TYP } from './devices/signed-policy.js';
export { WIPE_RECEIPT_TYP } from './devices/wipe-receipt.js';
export { normalizeHtu } from './dpop/htu.js';
export { DpopProofError, UseDpopNonceError } from './dpop/verify.js';
export {
  type AuthInfo,
  authenticate,
  authOf,
  type RequireAuthOptions,
  requireAuth,
} from './http/authenticate.js';
export { type AnyServerError, SERVER_ERROR_CODES, type ServerErrorCode } from './http/codes.js';
export {
  HttpProblem,
  installProblemHandlers,
  PROBLEM_CONTENT_TYPE,
  type ProblemBody,
  type ProblemIssue,
  problem,
} from './http/problem.js';
export { parseTrustProxy, type TrustProxy, TrustProxyError } from './http/trust-proxy.js';
export { contentSecurityPolicy, registerWebApps, type WebApp, type WebApps } from './http/web-apps.js';
export { ensureInitialAdmin, type InitialAdmin, oneTimePassword } from './identity/bootstrap.js';
export type { UserView } from './identity/directory.js';
export {
  type PasskeyAssertion,
  PasskeyError,
  type PasskeyErrorCode,
  type PasskeyReset,
  PasskeyService,
  type PasskeyView,
  resetPasskeys,
} from './identity/passkeys.js';
export { checkPasswordRules } from './identity/passwords/rules.js';
export { createUser, type NewUser } from './identity/users.js';
export { SaturatedError } from './lib/semaphore.js';
export { RuleError } from './rules/errors.js';
export type { ClaimCondition, ClaimRef, Claims, FieldCondition, Literal, Rule } from './rules/rule.js';
export {
  isLoopbackHost,
  type RunningServer,
  ServeConfigError,
  type ServeOptions,
  startServer,
} from './serve.js';
export { InvalidTokenError } from './tokens/access-token.js';
export type { KeyInfo } from './tokens/keys.js';
export { RefreshTokenError } from './tokens/sessions.js';
