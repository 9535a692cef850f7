/**
 * The error codes of `@bulwark/cli` as types: every code `bulwark audit` and `bulwark pins` throw
 * (printed in brackets with exit code 3 or 4), each with its class, and the union of those classes,
 * which narrows on `code`. test/errors-doc.test.ts keeps this table, the sources and the exit-code
 * tables of docs/audit.md and docs/pins.md equal.
 */
import type { AnyCoreError } from '@bulwark/core';
import type {
  AuditArchiveError,
  AuditBaselineError,
  AuditOutputError,
  AuditPathNotFoundError,
  AuditUnreadableError,
} from './audit/errors.js';
import type { PinsConnectError, PinsInputError, PinsUntrustedError } from './pins/errors.js';

/**
 * Every error the CLI throws on purpose, and the core errors it lets through.
 *
 * @example
 * ```ts
 * function exitCodeOf(err: AnyCliError): number {
 *   return err.code === 'pins_connect_failed' || err.code === 'pins_untrusted_chain' ? 4 : 3;
 * }
 * ```
 */
export type AnyCliError =
  | AuditPathNotFoundError
  | AuditUnreadableError
  | AuditArchiveError
  | AuditBaselineError
  | AuditOutputError
  | PinsInputError
  | PinsConnectError
  | PinsUntrustedError
  | AnyCoreError;

type OwnCliError = Exclude<AnyCliError, AnyCoreError>;

/**
 * The codes the CLI throws itself, each with its class.
 *
 * @example
 * ```ts
 * CLI_ERROR_CODES.audit_path_not_found; // 'AuditPathNotFoundError'
 * ```
 */
export const CLI_ERROR_CODES = {
  audit_path_not_found: 'AuditPathNotFoundError',
  audit_unreadable: 'AuditUnreadableError',
  audit_archive_corrupt: 'AuditArchiveError',
  audit_baseline_invalid: 'AuditBaselineError',
  audit_output_unwritable: 'AuditOutputError',
  pins_invalid_input: 'PinsInputError',
  pins_connect_failed: 'PinsConnectError',
  pins_untrusted_chain: 'PinsUntrustedError',
} as const satisfies Record<OwnCliError['code'], string>;

/**
 * A code the CLI throws itself.
 *
 * @example
 * ```ts
 * const code: CliErrorCode = 'audit_unreadable';
 * ```
 */
export type CliErrorCode = keyof typeof CLI_ERROR_CODES;
