/**
 * Errors of `bulwark audit`: bad input that stops a scan. Each has a stable `code`; the command
 * prints the message (never a stack trace) and exits with {@link AUDIT_EXIT.badInput}.
 */
import { BulwarkError } from '@bulwark/core/errors';

/**
 * The scanned path does not exist.
 *
 * @example
 * ```ts
 * await auditPath('missing/').catch((err) => err instanceof AuditPathNotFoundError);
 * ```
 */
export class AuditPathNotFoundError extends BulwarkError<'audit_path_not_found'> {
  constructor(path: string, options?: { cause?: unknown }) {
    super('audit_path_not_found', `${path}: no such file or directory.`, options);
  }
}

/**
 * A file of the input could not be read (permissions, I/O error, vanished while scanning).
 *
 * @example
 * ```ts
 * if (err instanceof AuditUnreadableError) console.error(err.message);
 * ```
 */
export class AuditUnreadableError extends BulwarkError<'audit_unreadable'> {
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('audit_unreadable', `${path}: cannot be read (${reason}).`, options);
  }
}

/**
 * A zip archive (APK, AAB, IPA) is corrupt or breaks the archive limits (zip bomb guard).
 *
 * @example
 * ```ts
 * if (err instanceof AuditArchiveError) console.error(err.message);
 * ```
 */
export class AuditArchiveError extends BulwarkError<'audit_archive_corrupt'> {
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('audit_archive_corrupt', `${path}: not a readable zip archive (${reason}).`, options);
  }
}

/**
 * The baseline file is missing, not JSON, or not of the baseline shape.
 *
 * @example
 * ```ts
 * if (err instanceof AuditBaselineError) console.error(err.message);
 * ```
 */
export class AuditBaselineError extends BulwarkError<'audit_baseline_invalid'> {
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('audit_baseline_invalid', `baseline ${path}: ${reason}.`, options);
  }
}

/**
 * Exit codes of `bulwark audit` (2 is commander's usage error, shared by every command).
 *
 * @example
 * ```ts
 * process.exitCode = report.findings.length ? AUDIT_EXIT.findings : AUDIT_EXIT.clean;
 * ```
 */
export const AUDIT_EXIT = {
  clean: 0,
  findings: 1,
  usage: 2,
  badInput: 3,
  internal: 70,
} as const;

/**
 * The report or baseline could not be written where asked.
 *
 * @example
 * ```ts
 * if (err instanceof AuditOutputError) console.error(err.message);
 * ```
 */
export class AuditOutputError extends BulwarkError<'audit_output_unwritable'> {
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('audit_output_unwritable', `${path}: cannot be written (${reason}).`, options);
  }
}
