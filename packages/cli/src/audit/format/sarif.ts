/**
 * `--format sarif`: SARIF 2.1.0 for GitHub code scanning. One run; the rule table is the whole
 * catalogue; levels map critical/high → error, medium → warning, low/info → note, and
 * `security-severity` gives GitHub its score. Locations are relative to the scanned root
 * (`%SRCROOT%`); `partialFingerprints` carries our fingerprint so alerts survive rebuilds.
 * Every finding is a result with its own location, so code scanning shows each place; a problem
 * repeated in several places (the same manifest setting in eight modules) names up to 20 other
 * places in `relatedLocations`, and its group and size in `properties.group`/`groupSize`. A finding set aside by its place
 * (tests, docs, examples, debug builds) carries the reason in `properties.context`.
 */
import { printableFinding } from '../lib/printable.js';
import { ALL_RULES } from '../rules/catalog.js';
import type { AuditReport, Finding, Severity } from '../types.js';
import { groupRepeated } from './view.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
};

function uri(file: string): string {
  return file
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/**
 * Other places of a repeated problem named in a result: enough to see the pattern without a log
 * that grows with the square of the repeats; `properties.groupSize` gives the full count.
 */
const MAX_RELATED = 20;

function location(f: Finding, id?: number) {
  return {
    ...(id === undefined ? {} : { id }),
    physicalLocation: {
      artifactLocation: { uri: uri(f.file), uriBaseId: '%SRCROOT%' },
      region: { startLine: f.line ?? 1 },
    },
  };
}

/**
 * Renders the report as a SARIF 2.1.0 log.
 *
 * @example
 * ```ts
 * await writeFile('audit.sarif', formatSarif(report, '0.1.0'));
 * ```
 */
export function formatSarif(report: AuditReport, version: string): string {
  const index = new Map(ALL_RULES.map((r, i) => [r.id, i]));
  const findings = report.findings.map(printableFinding);
  const groupOf = new Map<Finding, { id: string; members: Finding[] }>();
  for (const g of groupRepeated(findings))
    if (g.findings.length > 1) for (const f of g.findings) groupOf.set(f, { id: g.id, members: g.findings });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bulwark-audit',
            semanticVersion: version,
            rules: ALL_RULES.map((r) => ({
              id: r.id,
              name: r.id
                .split('-')
                .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
                .join(''),
              shortDescription: { text: r.title },
              fullDescription: { text: `${r.title}. ${r.fix}` },
              help: {
                text: r.fix,
                markdown: `**${r.title}** (${r.masvs}${r.mastg ? `, ${r.mastg}` : ''})\n\n${r.fix}`,
              },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: {
                tags: ['security', r.masvs, ...(r.mastg ? [r.mastg] : [])],
                'security-severity': SECURITY_SEVERITY[r.severity],
                precision: r.id === 'secret-generic-assignment' ? 'medium' : 'high',
              },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The scanned directory or archive.' } } },
        results: findings.map((f) => {
          const group = groupOf.get(f);
          const others =
            group === undefined ? [] : group.members.filter((m) => m !== f).slice(0, MAX_RELATED);
          return {
            ruleId: f.ruleId,
            ruleIndex: index.get(f.ruleId) ?? 0,
            level: LEVEL[f.severity],
            message: { text: f.evidence === undefined ? f.message : `${f.message} [${f.evidence}]` },
            locations: [location(f)],
            ...(others.length === 0 ? {} : { relatedLocations: others.map((m, i) => location(m, i + 1)) }),
            partialFingerprints: { 'bulwarkFingerprint/v1': f.fingerprint },
            properties: {
              severity: f.severity,
              'security-severity': SECURITY_SEVERITY[f.severity],
              masvs: f.masvs,
              ...(f.mastg === undefined ? {} : { mastg: f.mastg }),
              ...(group === undefined ? {} : { group: group.id, groupSize: group.members.length }),
              ...(f.context === undefined
                ? {}
                : { context: f.context.reason, loweredFrom: f.context.loweredFrom }),
            },
          };
        }),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
