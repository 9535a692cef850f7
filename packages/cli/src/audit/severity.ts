/** Ordering and parsing of severities, shared by `--fail-on`, the table and SARIF. */
import { SEVERITIES, type Severity } from './types.js';

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/**
 * True when `severity` is at or above `threshold`.
 *
 * @example
 * ```ts
 * atOrAbove('critical', 'high'); // true
 * ```
 */
export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return RANK[severity] >= RANK[threshold];
}

/**
 * Sort comparator: most serious first.
 *
 * @example
 * ```ts
 * findings.sort((a, b) => compareSeverity(a.severity, b.severity));
 * ```
 */
export function compareSeverity(a: Severity, b: Severity): number {
  return RANK[b] - RANK[a];
}

/**
 * Narrows a string to a severity.
 *
 * @example
 * ```ts
 * if (isSeverity(flag)) failOn = flag;
 * ```
 */
export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}
