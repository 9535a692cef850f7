/** `--format json`: `{"findings": [...]}`, evidence already redacted, every control character spelled out. */
import { printableFinding } from '../lib/printable.js';
import type { AuditReport } from '../types.js';

/**
 * Renders the report as JSON.
 *
 * @example
 * ```ts
 * process.stdout.write(formatJson(report));
 * ```
 */
export function formatJson(report: AuditReport): string {
  return `${JSON.stringify({ findings: report.findings.map(printableFinding) }, null, 2)}\n`;
}
