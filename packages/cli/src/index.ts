/**
 * @bulwark/cli: the `bulwark` command as a library for embedding tools: `run` (the command
 * itself), `bulwark audit` (scan, formats, baseline, rule catalog, errors) and `bulwark pins`
 * (chain fetching, recommendation, config emitters, errors). Helpers the commands share stay
 * internal; the package's tests import them by relative path. test/public-surface.test.ts holds
 * the list (docs/README.md#public-surface).
 */

export * from './audit/index.js';
export { type AnyCliError, CLI_ERROR_CODES, type CliErrorCode } from './error-codes.js';
export * from './pins/index.js';
export { run } from './program.js';
