/**
 * The default output, for a person: one block a rule (most serious first) with its count, the
 * first few problems and their first few locations ("and N more"), the rule's MASVS/MASTG and
 * fix; then a summary line: counts by severity, files and bytes scanned, time, and what was left
 * out and why (`--min-severity`, findings set aside in tests/docs/examples/debug builds, the
 * baseline). A problem repeated in many places (the same manifest setting in eight modules) is
 * one entry with its locations. Colour only when asked (a TTY without NO_COLOR). Every string from
 * the app goes through `printableFinding`.
 */
import { printableFinding } from '../lib/printable.js';
import { type AuditReport, type Finding, SEVERITIES, type Severity } from '../types.js';
import { groupRepeated, place, type Selection, SHOW_ALL, selectFindings, type ViewOptions } from './view.js';

const COLOURS: Record<Severity, string> = {
  critical: '\u001b[1;35m',
  high: '\u001b[1;31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[2m',
};
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

/** How many problems a rule block lists, and how many locations a problem lists, before "and N more". */
const FIRST = 3;

/**
 * How the table is drawn and what it shows.
 *
 * @example
 * ```ts
 * const options: TableOptions = { colour: false, view: { minSeverity: 'high', includeContext: false }, elapsedMs: 420 };
 * ```
 */
export interface TableOptions {
  colour: boolean;
  /** What to show; everything when absent. */
  view?: ViewOptions;
  /** How long the scan took, for the summary line. */
  elapsedMs?: number;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function countBySeverity(findings: readonly Finding[]): string {
  return SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

function countByReason(findings: readonly Finding[]): string {
  const counts = new Map<string, number>();
  for (const f of findings) {
    const reason = f.context?.reason ?? 'other';
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([reason, n]) => `${reason}: ${n}`)
    .join('; ');
}

/** The message, with the context reason added when the message does not already say it. */
function described(f: Finding): string {
  return f.context === undefined || f.message.includes(f.context.reason)
    ? f.message
    : `${f.message} [${f.context.reason}]`;
}

function ruleBlocks(findings: readonly Finding[]): Finding[][] {
  const blocks = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.severity}\u0000${f.ruleId}`;
    const block = blocks.get(key);
    if (block === undefined) blocks.set(key, [f]);
    else block.push(f);
  }
  return [...blocks.values()];
}

function summary(
  report: AuditReport,
  { shown, belowMinimum, setAside }: Selection,
  view: ViewOptions,
  elapsedMs?: number,
): string {
  const mb = report.stats.bytes / 1e6;
  const scanned =
    ` in ${plural(report.stats.files, 'file')} (${report.kind})` +
    (elapsedMs === undefined
      ? ''
      : `, ${mb >= 10 ? mb.toFixed(0) : mb.toFixed(1)} MB in ${(elapsedMs / 1000).toFixed(2)} s`);
  const parts = [
    `${shown.length === 0 ? 'No findings' : `${plural(shown.length, 'finding')} (${countBySeverity(shown)})`}${scanned}`,
  ];
  if (belowMinimum.length > 0)
    parts.push(`${belowMinimum.length} below --min-severity ${view.minSeverity} not shown`);
  if (setAside.length > 0)
    parts.push(
      `${setAside.length} set aside by their place or reason, not shown (${countByReason(setAside)}; --include-tests to list them)`,
    );
  if (report.suppressed > 0) parts.push(`${report.suppressed} accepted by the baseline`);
  return `${parts.join('; ')}.`;
}

/**
 * Renders the report for a terminal.
 *
 * @example
 * ```ts
 * process.stdout.write(formatTable(report, { colour: process.stdout.isTTY }));
 * ```
 */
export function formatTable(report: AuditReport, options: TableOptions): string {
  const c = (code: string, s: string) => (options.colour ? `${code}${s}${RESET}` : s);
  const view = options.view ?? SHOW_ALL;
  const selection = selectFindings(report.findings.map(printableFinding), view);
  const { shown } = selection;
  const lines: string[] = [];
  for (const block of ruleBlocks(shown)) {
    const first = block[0] as Finding;
    const files = new Set(block.map((f) => f.file)).size;
    const problems = groupRepeated(block);
    const count =
      block.length === 1
        ? '1 finding'
        : `${plural(block.length, 'finding')} in ${plural(files, 'file')}` +
          (problems.length < block.length ? `, ${plural(problems.length, 'distinct problem')}` : '');
    if (lines.length > 0) lines.push('');
    lines.push(
      `${c(COLOURS[first.severity], first.severity.toUpperCase().padEnd(8))} ${first.ruleId}  (${count})`,
    );
    for (const problem of problems.slice(0, FIRST)) {
      const lead = problem.findings[0] as Finding;
      lines.push(`  - ${described(lead)}`);
      // A URL's evidence is the URL the message already shows.
      if (problem.evidence !== undefined && !lead.message.includes(problem.evidence))
        lines.push(`    evidence: ${problem.evidence}`);
      const places = problem.findings.map(place);
      if (places.length === 1) lines.push(`    at ${places[0]}`);
      else {
        lines.push(`    at ${places.length} places:`);
        for (const p of places.slice(0, FIRST)) lines.push(`      ${p}`);
        if (places.length > FIRST) lines.push(`      and ${places.length - FIRST} more`);
      }
    }
    if (problems.length > FIRST) {
      const rest = problems.slice(FIRST).reduce((n, p) => n + p.findings.length, 0);
      lines.push(
        `  and ${plural(problems.length - FIRST, 'more problem')}${rest > problems.length - FIRST ? `, ${rest} findings` : ''} (--format json lists every finding)`,
      );
    }
    lines.push(c(DIM, `  ${first.masvs}${first.mastg ? ` · ${first.mastg}` : ''} · fix: ${first.fix}`));
  }
  if (lines.length > 0) lines.push('');
  lines.push(summary(report, selection, view, options.elapsedMs));
  return `${lines.join('\n')}\n`;
}
