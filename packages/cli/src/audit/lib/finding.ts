/**
 * Turns a detector's raw result into a {@link Finding}: rule metadata, severity and a stable
 * fingerprint. The fingerprint hashes the rule, the file (with build hashes such as
 * `main.3f9a1c2b.js` normalised, so a rebuild keeps it) and the detector's key. The key of a secret
 * is the secret; only 128 bits of its SHA-256 leave the scanner, in the baseline and in SARIF.
 * Text from the app (file, message, evidence) is made printable here (`printable.ts`); the
 * fingerprint is taken on the raw text, so it does not change with the spelling.
 */
import { createHash } from 'node:crypto';
import { type RuleId, ruleMeta } from '../rules/catalog.js';
import type { Finding, FindingContext, Severity } from '../types.js';
import { printable } from './printable.js';

/** What a detector reports before metadata is attached. */
export interface RawFinding {
  ruleId: RuleId;
  file: string;
  line?: number;
  message: string;
  evidence?: string;
  /** Identity of the problem within the file; hashed into the fingerprint. */
  key: string;
  /** Overrides the rule's default severity. */
  severity?: Severity;
  /** Set by `inContext` when the finding's place lowered it. */
  context?: FindingContext;
}

/**
 * Replaces content hashes in bundler output names with `*`, in the entry name and in the name of
 * every archive it sits in (`app-3f9a1c2b.apk!/…`), so that a rebuild keeps a finding accepted.
 *
 * @example
 * ```ts
 * normaliseBuildPath('assets/index-4f3a9c1b.js'); // 'assets/index-*.js'
 * normaliseBuildPath('out/app-3f9a1c2b.apk!/assets/main.0a1b2c3d.js'); // 'out/app-*.apk!/assets/main.*.js'
 * ```
 */
export function normaliseBuildPath(path: string): string {
  return path
    .split('!/')
    .map((part) =>
      part.replace(/([.-])([A-Za-z0-9_]{8,20})(?=\.[A-Za-z0-9.]+$)/g, (whole, sep: string, hash: string) =>
        /[0-9]/.test(hash) && /[A-Za-z]/.test(hash) ? `${sep}*` : whole,
      ),
    )
    .join('!/');
}

/**
 * Computes the fingerprint of a finding.
 *
 * @example
 * ```ts
 * fingerprint('secret-jwt', 'main.js', token);
 * ```
 */
export function fingerprint(ruleId: string, file: string, key: string): string {
  return createHash('sha256')
    .update(`${ruleId}\u0000${normaliseBuildPath(file)}\u0000${key}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * Completes a raw finding with its rule's metadata.
 *
 * @example
 * ```ts
 * const finding = toFinding({ ruleId: 'android-debuggable', file: 'AndroidManifest.xml', message: '…', key: 'app' });
 * ```
 */
export function toFinding(raw: RawFinding): Finding {
  const meta = ruleMeta(raw.ruleId);
  const finding: Finding = {
    ruleId: raw.ruleId,
    severity: raw.severity ?? meta.severity,
    file: printable(raw.file),
    message: printable(raw.message),
    masvs: meta.masvs,
    fix: meta.fix,
    fingerprint: fingerprint(raw.ruleId, raw.file, raw.key),
  };
  if (raw.line !== undefined) finding.line = raw.line;
  if (meta.mastg !== undefined) finding.mastg = meta.mastg;
  if (raw.evidence !== undefined) finding.evidence = printable(raw.evidence);
  if (raw.context !== undefined)
    finding.context = { reason: printable(raw.context.reason), loweredFrom: raw.context.loweredFrom };
  return finding;
}
