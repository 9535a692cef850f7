/**
 * The public surface of @bulwark/server: the runtime names of each entry point in package.json
 * `exports`, compared with the committed lists below, so that adding or removing an export is a
 * visible change in review, never a side effect (docs/README.md#public-surface). What the lists
 * hold: building and mounting the server, configuration, the database, guarding one's own routes, seeding and provisioning accounts, the security event log and its verification, and every error class the package throws. Type-only exports are checked by the build of the packages that use them.
 */
import { describePublicSurface } from '../../../test-support/public-surface.js';

const SURFACE: Record<string, readonly string[]> = {
  '.': [
    'APPLE_APP_ATTESTATION_ROOT_CA',
    'AttestationError',
    'ConfigError',
    'DEFAULT_RULES',
    'DeviceRevokedError',
    'DpopProofError',
    'GOOGLE_HARDWARE_ATTESTATION_ROOTS',
    'HttpProblem',
    'InvalidTokenError',
    'PasskeyError',
    'RefreshTokenError',
    'RuleError',
    'SERVER_ERROR_CODES',
    'SQLITE_FILE',
    'SaturatedError',
    'SecurityEventLog',
    'SeedError',
    'ServeConfigError',
    'TrustProxyError',
    'UseDpopNonceError',
    'authOf',
    'buildApp',
    'bulwarkPlugin',
    'clientErrorProblem',
    'createServerContext',
    'createUser',
    'defineConfig',
    'frameworkProblem',
    'loadConfig',
    'logRequest',
    'openDatabase',
    'parseTrustProxy',
    'requireAuth',
    'requireIntegrity',
    'resetPasskeys',
    'resetPasswordOnServer',
    'runSeed',
    'startServer',
    'verifyEventChain',
  ],
};

describePublicSurface('@bulwark/server', new URL('../package.json', import.meta.url), SURFACE);
