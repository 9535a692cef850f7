/**
 * Small app trees for the audit's tests: each tree is written into a fresh folder under one
 * temporary root and audited with a fixed clock, so a test states only the files it needs.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { auditPath } from '../../../src/audit/scan.js';
import type { AuditReport, Finding } from '../../../src/audit/types.js';

/** Audits app trees written under one temporary root, which `remove` deletes. */
export interface TreeAuditor {
  /** Writes the files (path → content) into a fresh app tree and audits it. */
  audit(files: Record<string, string | Uint8Array>): Promise<AuditReport>;
  remove(): Promise<void>;
}

/**
 * A {@link TreeAuditor} whose root folder's name starts with `name`.
 *
 * @example
 * ```ts
 * const trees = await treeAuditor('bulwark-audit-example-');
 * const report = await trees.audit({ 'app/src/main/A.java': 'class A {}' });
 * await trees.remove();
 * ```
 */
export async function treeAuditor(name: string): Promise<TreeAuditor> {
  const root = await mkdtemp(join(tmpdir(), name));
  let n = 0;
  return {
    async audit(files) {
      const dir = join(root, `app${n++}`);
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), content);
      }
      return auditPath(dir, { now: () => new Date('2026-06-01T00:00:00Z') });
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** The findings of a rule as `file:line severity`, sorted. */
export function seen(report: AuditReport, ruleId: string): string[] {
  return report.findings
    .filter((f) => f.ruleId === ruleId)
    .map((f) => `${f.file}:${f.line ?? ''} ${f.severity}`)
    .sort();
}

/** The findings of a rule. */
export function findingsOf(report: AuditReport, ruleId: string): Finding[] {
  return report.findings.filter((f) => f.ruleId === ruleId);
}

/** The findings of a rule as `[file, severity]`, sorted by file. */
export function severitiesOf(report: AuditReport, ruleId: string): [string, string][] {
  return findingsOf(report, ruleId)
    .map((f): [string, string] => [f.file, f.severity])
    .sort((a, b) => a[0].localeCompare(b[0]));
}
