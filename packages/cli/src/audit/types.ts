/**
 * The shapes `bulwark audit` produces: severities, findings and the report. Every output format
 * (table, JSON, SARIF) and the baseline are derived from these.
 */

/** Severities from most to least serious. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/**
 * How serious a finding is.
 *
 * @example
 * ```ts
 * const failOn: Severity = 'high';
 * ```
 */
export type Severity = (typeof SEVERITIES)[number];

/**
 * One problem found in the scanned input.
 *
 * @example
 * ```ts
 * const finding: Finding = {
 *   ruleId: 'android-debuggable',
 *   severity: 'high',
 *   file: 'AndroidManifest.xml',
 *   message: 'android:debuggable="true" on <application>',
 *   masvs: 'MASVS-RESILIENCE-4',
 *   mastg: 'MASTG-TEST-0226',
 *   fix: 'Remove android:debuggable from the release manifest.',
 *   fingerprint: '9f2c…',
 * };
 * ```
 */
export interface Finding {
  /** Stable rule id (see `docs/audit.md`). */
  ruleId: string;
  severity: Severity;
  /**
   * Path relative to the scanned root, with `/` separators; inside an archive given as the input,
   * the entry path; inside an archive within the input, `<archive path>!/<entry path>`.
   */
  file: string;
  /** 1-based line, when the file is text and the problem has one. */
  line?: number;
  message: string;
  /** MASVS v2 control, e.g. `MASVS-STORAGE-1`. */
  masvs: string;
  /** MASTG test id where one exists, e.g. `MASTG-TEST-0226`. */
  mastg?: string;
  /** How to fix it. */
  fix: string;
  /** Redacted evidence: never the secret itself. */
  evidence?: string;
  /** Stable id of this finding across runs, used by the baseline and SARIF. */
  fingerprint: string;
  /**
   * Set when the finding's place (test code, documentation, an example, a debug-only source set)
   * lowered it: the severity its rule gave it and why it was lowered. The table hides such
   * findings unless `--include-tests`; JSON and SARIF keep them.
   */
  context?: FindingContext;
}

/**
 * Why a finding was lowered by where it sits.
 *
 * @example
 * ```ts
 * const context: FindingContext = { reason: 'test code, not shipped', loweredFrom: 'high' };
 * ```
 */
export interface FindingContext {
  /** Shown to the reader, e.g. `documentation`, `debug build only (Gradle source set src/debug)`. */
  reason: string;
  /** The severity before the place lowered it. */
  loweredFrom: Severity;
}

/**
 * What a scan returns.
 *
 * @example
 * ```ts
 * const report = await auditPath('dist/app.apk');
 * if (report.findings.some((f) => f.severity === 'critical')) process.exitCode = 1;
 * ```
 */
export interface AuditReport {
  /** Kind of input that was scanned. */
  kind: 'directory' | 'file' | 'apk' | 'aab' | 'ipa' | 'zip';
  findings: Finding[];
  /** Findings hidden because the baseline accepts them. */
  suppressed: number;
  stats: AuditStats;
}

/**
 * Counters of a scan (for the summary line and the benchmark).
 *
 * @example
 * ```ts
 * console.log(`${report.stats.files} files, ${report.stats.bytes} bytes`);
 * ```
 */
export interface AuditStats {
  /** Files looked at. */
  files: number;
  /** Bytes scanned by the text rules. */
  bytes: number;
  /**
   * Files skipped: media (images, fonts, audio, video), compressed formats other than zip
   * (`.gz`, `.7z`, …) and Gradle's wrapper jar.
   */
  skipped: number;
}
