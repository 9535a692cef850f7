/**
 * The default output: a readable table, one block a finding (severity, rule, place, message,
 * redacted evidence, MASVS/MASTG, fix), then a summary line. Colour only when asked (a TTY
 * without NO_COLOR).
 */
import { printableFinding } from '../lib/printable.js';
import { type AuditReport, SEVERITIES, type Severity } from '../types.js';

const COLOURS: Record<Severity, string> = {
  critical: '\u001b[1;35m',
  high: '\u001b[1;31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[2m',
};
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

/**
 * Renders the report for a terminal.
 *
 * @example
 * ```ts
 * process.stdout.write(formatTable(report, { colour: process.stdout.isTTY }));
 * ```
 */
export function formatTable(report: AuditReport, options: { colour: boolean }): string {
  const c = (code: string, s: string) => (options.colour ? `${code}${s}${RESET}` : s);
  const lines: string[] = [];
  for (const f of report.findings.map(printableFinding)) {
    const place = f.line === undefined ? f.file : `${f.file}:${f.line}`;
    lines.push(`${c(COLOURS[f.severity], f.severity.toUpperCase().padEnd(8))} ${f.ruleId}  ${place}`);
    lines.push(`         ${f.message}`);
    if (f.evidence !== undefined) lines.push(`         evidence: ${f.evidence}`);
    lines.push(c(DIM, `         ${f.masvs}${f.mastg ? ` · ${f.mastg}` : ''} · fix: ${f.fix}`));
  }
  const counts = SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  if (lines.length > 0) lines.push('');
  lines.push(
    `${report.findings.length === 0 ? 'No findings' : `${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} (${counts.join(', ')})`}` +
      ` in ${report.stats.files} file${report.stats.files === 1 ? '' : 's'} (${report.kind})` +
      `${report.suppressed > 0 ? `; ${report.suppressed} accepted by the baseline` : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}
