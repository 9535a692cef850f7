/**
 * What `bulwark audit` does once its arguments are parsed: scan, apply the baseline, format and
 * set the exit code. Loaded only when the command runs; the SARIF and table formatters load only
 * when asked for.
 */
import { writeFile } from 'node:fs/promises';
import { BulwarkError } from '@bulwark/core/errors';
import { VERSION } from '../version.js';
import { AUDIT_EXIT, AuditOutputError } from './errors.js';
import { formatJson } from './format/json.js';
import { selectFindings } from './format/view.js';
import { printable } from './lib/printable.js';
import { type AuditOptions, auditPath } from './scan.js';
import { atOrAbove } from './severity.js';
import type { AuditReport, Finding, Severity } from './types.js';

/** The parsed flags of `bulwark audit`. */
export interface AuditFlags {
  format: 'table' | 'json' | 'sarif';
  failOn: Severity;
  baseline?: string;
  writeBaseline?: string;
  apiDomain: string[];
  output?: string;
  progress: boolean;
  /** Findings below this are left out of every format; the exit gate still counts them. */
  minSeverity?: Severity;
  /** List findings set aside by their place (tests, docs, examples, debug builds) in the table, and count them in the gate. */
  includeTests?: boolean;
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

async function format(
  report: AuditReport,
  flags: AuditFlags,
  colour: boolean,
  elapsedMs: number,
): Promise<string> {
  const view = { minSeverity: flags.minSeverity ?? 'info', includeContext: flags.includeTests === true };
  if (flags.format === 'table')
    return (await import('./format/table.js')).formatTable(report, { colour, view, elapsedMs });
  // JSON and SARIF are read by tools: they keep findings set aside by their place (with the
  // reason), and leave out only what --min-severity asks to.
  const kept = {
    ...report,
    findings: selectFindings(report.findings, { ...view, includeContext: true }).shown,
  };
  if (flags.format === 'json') return formatJson(kept);
  return (await import('./format/sarif.js')).formatSarif(kept, VERSION);
}

/**
 * Whether the findings fail the gate: one at or above `--fail-on`, whatever `--min-severity`
 * hides; findings set aside by their place count only with `--include-tests`.
 *
 * @example
 * ```ts
 * failsGate(report.findings, { failOn: 'high', includeTests: false });
 * ```
 */
export function failsGate(
  findings: readonly Finding[],
  flags: Pick<AuditFlags, 'failOn' | 'includeTests'>,
): boolean {
  return findings.some(
    (f) => atOrAbove(f.severity, flags.failOn) && (f.context === undefined || flags.includeTests === true),
  );
}

/**
 * Runs `bulwark audit` and sets `process.exitCode` (0 clean, 1 findings at or above --fail-on,
 * 3 bad input, 70 internal error). `--min-severity` and `--include-tests` decide what is shown;
 * the exit code follows `--fail-on`, never `--min-severity`, and counts findings set aside by
 * their place only with `--include-tests` (see {@link failsGate}).
 *
 * @example
 * ```ts
 * await runAudit('dist/', { format: 'json', failOn: 'high', apiDomain: [], progress: false });
 * ```
 */
export async function runAudit(path: string, flags: AuditFlags): Promise<void> {
  const reporter = flags.progress && process.stderr.isTTY === true ? progressReporter() : undefined;
  try {
    const options: AuditOptions = { apiDomains: flags.apiDomain };
    // The baseline's module loads only when one is read or written: most runs have none.
    if (flags.baseline !== undefined) {
      options.baseline = await (await import('./baseline.js')).loadBaseline(flags.baseline);
    }
    if (reporter !== undefined) options.onProgress = reporter.onProgress;
    const started = performance.now();
    const report = await auditPath(path, options);
    const elapsedMs = performance.now() - started;
    reporter?.done();
    if (flags.writeBaseline !== undefined) {
      const { createBaseline, writeBaseline } = await import('./baseline.js');
      await writeBaseline(flags.writeBaseline, createBaseline(report.findings));
      process.stderr.write(
        `bulwark audit: ${report.findings.length} findings written to ${printable(flags.writeBaseline)}\n`,
      );
      process.exitCode = AUDIT_EXIT.clean;
      return;
    }
    const colour =
      flags.output === undefined && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
    const text = await format(report, flags, colour, elapsedMs);
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
    process.exitCode = failsGate(report.findings, flags) ? AUDIT_EXIT.findings : AUDIT_EXIT.clean;
  } catch (err) {
    reporter?.done();
    if (err instanceof BulwarkError) {
      // The message names a path, which may come from the app (an archive entry).
      process.stderr.write(`bulwark audit: ${printable(err.message)} [${err.code}]\n`);
      process.exitCode = AUDIT_EXIT.badInput;
    } else {
      const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      process.stderr.write(`bulwark audit: internal error (${printable(what)}); please report it.\n`);
      process.exitCode = AUDIT_EXIT.internal;
    }
  }
}
