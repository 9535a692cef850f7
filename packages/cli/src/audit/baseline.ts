/**
 * The baseline: a JSON file of accepted findings, so CI fails only on new ones. A finding is
 * accepted by its fingerprint (rule + file with build hashes normalised + what was found), so a
 * rebuild keeps it accepted and a different secret in the same file is a new finding.
 *
 * ```json
 * { "version": 1, "accepted": [{ "fingerprint": "…", "ruleId": "secret-google-api-key", "file": "www/main.js", "reason": "restricted Maps key" }] }
 * ```
 */
import { readFile, writeFile } from 'node:fs/promises';
import { AuditBaselineError } from './errors.js';
import { printable } from './lib/printable.js';
import type { Finding } from './types.js';

/** One accepted finding. */
export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  file: string;
  /** Why it is accepted (free text for reviewers). */
  reason?: string;
}

/**
 * A parsed baseline.
 *
 * @example
 * ```ts
 * const baseline = await loadBaseline('.bulwark-baseline.json');
 * ```
 */
export interface Baseline {
  version: 1;
  accepted: BaselineEntry[];
}

/**
 * Reads and validates a baseline file.
 *
 * @example
 * ```ts
 * const report = await auditPath('www', { baseline: await loadBaseline('baseline.json') });
 * ```
 */
export async function loadBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'I/O error';
    throw new AuditBaselineError(path, code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`, {
      cause: err,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new AuditBaselineError(path, 'not valid JSON', { cause: err });
  }
  const d = data as Partial<Baseline> | null;
  if (typeof d !== 'object' || d === null || d.version !== 1 || !Array.isArray(d.accepted)) {
    throw new AuditBaselineError(path, 'expected {"version": 1, "accepted": [...]}');
  }
  for (const [i, e] of d.accepted.entries()) {
    const entry = e as Partial<BaselineEntry> | null;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.fingerprint !== 'string' ||
      !/^[0-9a-f]{32}$/.test(entry.fingerprint)
    ) {
      throw new AuditBaselineError(path, `accepted[${i}] has no valid fingerprint`);
    }
  }
  return d as Baseline;
}

/**
 * Builds a baseline that accepts every given finding.
 *
 * @example
 * ```ts
 * await writeBaseline('baseline.json', createBaseline(report.findings));
 * ```
 */
export function createBaseline(findings: readonly Finding[]): Baseline {
  const seen = new Set<string>();
  const accepted: BaselineEntry[] = [];
  for (const f of findings) {
    if (seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    accepted.push({ fingerprint: f.fingerprint, ruleId: f.ruleId, file: printable(f.file) });
  }
  return { version: 1, accepted };
}

/**
 * Writes a baseline file (pretty JSON, stable order).
 *
 * @example
 * ```ts
 * await writeBaseline('baseline.json', createBaseline(report.findings));
 * ```
 */
export async function writeBaseline(path: string, baseline: Baseline): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(baseline, null, 2)}\n`);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'I/O error';
    throw new AuditBaselineError(path, `cannot be written (${code})`, { cause: err });
  }
}

/**
 * Splits findings into those the baseline does not accept and the count it hides.
 *
 * @example
 * ```ts
 * const { kept, suppressed } = partitionByBaseline(findings, baseline);
 * ```
 */
export function partitionByBaseline(
  findings: readonly Finding[],
  baseline: Baseline,
): { kept: Finding[]; suppressed: number } {
  const accepted = new Set(baseline.accepted.map((e) => e.fingerprint));
  const kept = findings.filter((f) => !accepted.has(f.fingerprint));
  return { kept, suppressed: findings.length - kept.length };
}
