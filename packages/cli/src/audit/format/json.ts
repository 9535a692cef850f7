/** `--format json`: `{"findings": [...]}`, evidence already redacted. */
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
  return `${JSON.stringify({ findings: report.findings }, null, 2)}\n`;
}
