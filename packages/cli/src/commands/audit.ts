/**
 * `bulwark audit <path>`: what an app bundle gives away. Exit codes: 0 no finding at or above
 * --fail-on (findings set aside by their place count only with --include-tests; --min-severity
 * never changes the exit code), 1 such findings, 2 usage error (commander), 3 bad input (missing path, corrupt
 * archive, unreadable file, invalid baseline), 70 internal error. Never prints a stack trace.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { AuditFlags } from '../audit/run.js';
import { isSeverity } from '../audit/severity.js';
import type { Severity } from '../audit/types.js';

function parseSeverity(value: string): Severity {
  if (!isSeverity(value)) throw new InvalidArgumentError('one of critical, high, medium, low, info.');
  return value;
}

function collectDomain(value: string, previous: string[]): string[] {
  if (!/^[A-Za-z0-9.-]+$/.test(value)) throw new InvalidArgumentError('a host name such as api.example.com.');
  return [...previous, value];
}

/**
 * Registers `audit` on the program.
 *
 * @example
 * ```ts
 * registerAudit(program); // bulwark audit app.apk --format sarif --fail-on medium
 * ```
 */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description(
      'Find secrets, cleartext endpoints and unsafe settings in an app bundle (directory, APK, AAB or IPA).',
    )
    .argument('<path>', 'directory, APK, AAB, IPA or single file to scan')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['table', 'json', 'sarif'])
        .default('table'),
    )
    .option(
      '--fail-on <severity>',
      'exit 1 when a finding is at or above this severity',
      parseSeverity,
      'high',
    )
    .option(
      '--min-severity <severity>',
      'show only findings at or above this severity (the exit code still follows --fail-on)',
      parseSeverity,
    )
    .option(
      '--include-tests',
      'list findings in tests, docs, examples and debug builds (set aside by default) and let them fail the build',
    )
    .option('--baseline <file>', 'accept the findings listed in this baseline file')
    .option('--write-baseline <file>', 'write every current finding to this baseline file and exit 0')
    .option('--api-domain <host>', 'API host that must be pinned (repeatable)', collectDomain, [])
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--no-progress', 'do not show progress on a terminal')
    .action(async (path: string, flags: AuditFlags) => {
      // The scanner, its rules and the formatters load only when the command runs.
      const { runAudit } = await import('../audit/run.js');
      await runAudit(path, flags);
    });
}
