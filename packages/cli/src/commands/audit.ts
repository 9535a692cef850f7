/**
 * `bulwark audit <path>`: what an app bundle gives away. Exit codes: 0 no finding at or above
 * --fail-on, 1 such findings, 2 usage error (commander), 3 bad input (missing path, corrupt
 * archive, unreadable file, invalid baseline), 70 internal error. Never prints a stack trace.
 */
import { writeFile } from 'node:fs/promises';
import { BulwarkError } from '@bulwark/core/errors';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createBaseline, loadBaseline, writeBaseline } from '../audit/baseline.js';
import { AUDIT_EXIT, AuditOutputError } from '../audit/errors.js';
import { formatJson } from '../audit/format/json.js';
import { formatSarif } from '../audit/format/sarif.js';
import { formatTable } from '../audit/format/table.js';
import { type AuditOptions, auditPath } from '../audit/scan.js';
import { atOrAbove, isSeverity } from '../audit/severity.js';
import type { Severity } from '../audit/types.js';

const VERSION = '0.1.0';

interface AuditFlags {
  format: 'table' | 'json' | 'sarif';
  failOn: Severity;
  baseline?: string;
  writeBaseline?: string;
  apiDomain: string[];
  output?: string;
  progress: boolean;
}

function parseSeverity(value: string): Severity {
  if (!isSeverity(value)) throw new InvalidArgumentError('one of critical, high, medium, low, info.');
  return value;
}

function collectDomain(value: string, previous: string[]): string[] {
  if (!/^[A-Za-z0-9.-]+$/.test(value)) throw new InvalidArgumentError('a host name such as api.example.com.');
  return [...previous, value];
}

function progressReporter(): { onProgress: NonNullable<AuditOptions['onProgress']>; done: () => void } {
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    onProgress: ({ files, bytes, totalBytes }) => {
      const now = Date.now();
      if (now - started < 1000 || now - last < 200) return;
      last = now;
      shown = true;
      const mb = (n: number) => (n / 1e6).toFixed(1);
      process.stderr.write(
        `\rscanning… ${files} files, ${mb(bytes)}${totalBytes > 0 ? ` / ${mb(totalBytes)}` : ''} MB   `,
      );
    },
    done: () => {
      if (shown) process.stderr.write('\r\u001b[K');
    },
  };
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
    .option('--baseline <file>', 'accept the findings listed in this baseline file')
    .option('--write-baseline <file>', 'write every current finding to this baseline file and exit 0')
    .option('--api-domain <host>', 'API host that must be pinned (repeatable)', collectDomain, [])
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--no-progress', 'do not show progress on a terminal')
    .action(async (path: string, flags: AuditFlags) => {
      const reporter = flags.progress && process.stderr.isTTY === true ? progressReporter() : undefined;
      try {
        const options: AuditOptions = { apiDomains: flags.apiDomain };
        if (flags.baseline !== undefined) options.baseline = await loadBaseline(flags.baseline);
        if (reporter !== undefined) options.onProgress = reporter.onProgress;
        const report = await auditPath(path, options);
        reporter?.done();
        if (flags.writeBaseline !== undefined) {
          await writeBaseline(flags.writeBaseline, createBaseline(report.findings));
          process.stderr.write(
            `bulwark audit: ${report.findings.length} findings written to ${flags.writeBaseline}\n`,
          );
          process.exitCode = AUDIT_EXIT.clean;
          return;
        }
        const colour =
          flags.output === undefined && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
        const text =
          flags.format === 'json'
            ? formatJson(report)
            : flags.format === 'sarif'
              ? formatSarif(report, VERSION)
              : formatTable(report, { colour });
        if (flags.output === undefined) process.stdout.write(text);
        else {
          const out = flags.output;
          await writeFile(out, text).catch((err: unknown) => {
            throw new AuditOutputError(
              out,
              err instanceof Error && 'code' in err ? String(err.code) : 'I/O error',
              { cause: err },
            );
          });
        }
        const failing = report.findings.some((f) => atOrAbove(f.severity, flags.failOn));
        process.exitCode = failing ? AUDIT_EXIT.findings : AUDIT_EXIT.clean;
      } catch (err) {
        reporter?.done();
        if (err instanceof BulwarkError) {
          process.stderr.write(`bulwark audit: ${err.message} [${err.code}]\n`);
          process.exitCode = AUDIT_EXIT.badInput;
        } else {
          const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          process.stderr.write(`bulwark audit: internal error (${what}); please report it.\n`);
          process.exitCode = AUDIT_EXIT.internal;
        }
      }
    });
}
