/**
 * The public surface of @bulwark/cli: the runtime names of each entry point in package.json
 * `exports`, compared with the committed lists below, so that adding or removing an export is a
 * visible change in review, never a side effect (docs/README.md#public-surface). What the lists
 * hold: `run` (the command) and the `audit` and `pins` libraries with their errors. Type-only exports are checked by the build of the packages that use them.
 */
import { describePublicSurface } from '../../../test-support/public-surface.js';

const SURFACE: Record<string, readonly string[]> = {
  '.': [
    'ALL_RULES',
    'AUDIT_EXIT',
    'AuditArchiveError',
    'AuditBaselineError',
    'AuditOutputError',
    'AuditPathNotFoundError',
    'AuditUnreadableError',
    'CLI_ERROR_CODES',
    'PINS_EXIT',
    'PinsConnectError',
    'PinsInputError',
    'PinsUntrustedError',
    'RULES',
    'SEVERITIES',
    'auditPath',
    'createBaseline',
    'describeCertificate',
    'emitAndroid',
    'emitIos',
    'emitSdk',
    'fetchChain',
    'formatJson',
    'formatSarif',
    'formatTable',
    'loadBaseline',
    'partitionByBaseline',
    'pinOfKeyFile',
    'recommendPins',
    'run',
    'sdkPinConfig',
    'spkiPin',
    'writeBaseline',
  ],
};

describePublicSurface('@bulwark/cli', new URL('../package.json', import.meta.url), SURFACE);
