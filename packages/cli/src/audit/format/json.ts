/**
 * `--format json`: every finding (evidence already redacted, every control character spelled
 * out), the groups of findings that are one problem repeated in several places, and the scan's
 * counters:
 * `{"findings": [...], "groups": [...], "stats": {...}}`. A finding in a group carries the group's
 * `id` in `group`; a finding set aside by its place carries `context`.
 */
import { printableFinding } from '../lib/printable.js';
import type { AuditReport, Finding } from '../types.js';
import { groupRepeated } from './view.js';

/**
 * Renders the report as JSON.
 *
 * @example
 * ```ts
 * process.stdout.write(formatJson(report));
 * ```
 */
export function formatJson(report: AuditReport): string {
  const findings = report.findings.map(printableFinding);
  const repeated = groupRepeated(findings).filter((g) => g.findings.length > 1);
  const groupOf = new Map<Finding, string>();
  for (const g of repeated) for (const f of g.findings) groupOf.set(f, g.id);
  const out = {
    findings: findings.map((f) => {
      const group = groupOf.get(f);
      return group === undefined ? f : { ...f, group };
    }),
    groups: repeated.map((g) => ({
      id: g.id,
      ruleId: g.ruleId,
      severity: g.severity,
      count: g.findings.length,
      locations: g.findings.map((f) =>
        f.line === undefined ? { file: f.file } : { file: f.file, line: f.line },
      ),
    })),
    stats: {
      kind: report.kind,
      files: report.stats.files,
      bytes: report.stats.bytes,
      skipped: report.stats.skipped,
      suppressed: report.suppressed,
    },
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
