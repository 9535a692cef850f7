/**
 * What a report shows, shared by every output format: which findings pass `--min-severity`, which
 * are set aside because of where they sit (tests, documentation, examples, debug builds) unless
 * `--include-tests`, and which are one problem repeated in many places (the same manifest setting
 * in eight modules, the same URL in five files), grouped so a reader sees it once with its
 * locations.
 */
import { createHash } from 'node:crypto';
import { atOrAbove } from '../severity.js';
import type { Finding, Severity } from '../types.js';

/**
 * What the reader asked to see.
 *
 * @example
 * ```ts
 * const options: ViewOptions = { minSeverity: 'medium', includeContext: false };
 * ```
 */
export interface ViewOptions {
  /** Findings below this severity are left out (`--min-severity`). */
  minSeverity: Severity;
  /** Findings set aside by their place or a detector's reason (tests, docs, debug builds, comments…) are listed too (`--include-tests`). */
  includeContext: boolean;
}

/**
 * Shows everything: what the library functions default to.
 *
 * @example
 * ```ts
 * formatTable(report, { colour: false, view: SHOW_ALL });
 * ```
 */
export const SHOW_ALL: ViewOptions = { minSeverity: 'info', includeContext: true };

/**
 * Findings split by what the reader asked to see.
 *
 * @example
 * ```ts
 * const { shown, belowMinimum, setAside } = selectFindings(report.findings, options);
 * ```
 */
export interface Selection {
  shown: Finding[];
  /** Left out by `--min-severity`. */
  belowMinimum: Finding[];
  /** In tests, docs, examples or debug builds, left out without `--include-tests`. */
  setAside: Finding[];
}

/**
 * Splits findings into those shown and those left out, and why. `--min-severity` is applied
 * first, so a finding both below the minimum and set aside counts as below the minimum.
 *
 * @example
 * ```ts
 * selectFindings(report.findings, { minSeverity: 'high', includeContext: false }).shown;
 * ```
 */
export function selectFindings(findings: readonly Finding[], options: ViewOptions): Selection {
  const selection: Selection = { shown: [], belowMinimum: [], setAside: [] };
  for (const f of findings) {
    if (!atOrAbove(f.severity, options.minSeverity)) selection.belowMinimum.push(f);
    else if (f.context !== undefined && !options.includeContext) selection.setAside.push(f);
    else selection.shown.push(f);
  }
  return selection;
}

/**
 * One problem and every place it was found: findings of the same rule and severity whose
 * message and redacted evidence read the same. Secrets are compared by their redacted evidence
 * (name, public prefix, length), so two different secrets of the same name and length in two
 * files make one group; every finding is still listed, with its own fingerprint.
 *
 * @example
 * ```ts
 * for (const g of groupRepeated(findings)) console.log(g.ruleId, g.findings.length);
 * ```
 */
export interface FindingGroup {
  /** Stable id of the group (16 hex digits), the same in JSON and SARIF. */
  id: string;
  ruleId: string;
  severity: Severity;
  message: string;
  evidence?: string;
  /** In report order; the first one stands for the group. */
  findings: Finding[];
}

function groupKey(f: Finding): string {
  return `${f.ruleId}\u0000${f.severity}\u0000${f.message}\u0000${f.evidence ?? ''}`;
}

/**
 * Groups findings that are one problem repeated in several places, keeping report order (a
 * group sits where its first finding sat).
 *
 * @example
 * ```ts
 * groupRepeated(report.findings).filter((g) => g.findings.length > 1); // repeated problems
 * ```
 */
export function groupRepeated(findings: readonly Finding[]): FindingGroup[] {
  const byKey = new Map<string, FindingGroup>();
  for (const f of findings) {
    const key = groupKey(f);
    let group = byKey.get(key);
    if (group === undefined) {
      group = {
        id: createHash('sha256').update(key).digest('hex').slice(0, 16),
        ruleId: f.ruleId,
        severity: f.severity,
        message: f.message,
        findings: [],
      };
      if (f.evidence !== undefined) group.evidence = f.evidence;
      byKey.set(key, group);
    }
    group.findings.push(f);
  }
  return [...byKey.values()];
}

/**
 * `file:line`, or `file` when the finding has no line.
 *
 * @example
 * ```ts
 * place({ file: 'www/main.js', line: 11 } as Finding); // 'www/main.js:11'
 * ```
 */
export function place(f: Pick<Finding, 'file' | 'line'>): string {
  return f.line === undefined ? f.file : `${f.file}:${f.line}`;
}
