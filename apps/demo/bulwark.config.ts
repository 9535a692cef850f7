/**
 * The demo app's server configuration, loaded by `bulwark serve --config apps/demo/bulwark.config.ts`:
 * the shared schema plus who may read and write what (docs/rules.md) and a business hook that
 * computes the serverOnly risk score. The server test suite runs on this very file.
 */
import type { BulwarkConfig, HookIssue, WriteDecision, WriteEvent } from '@bulwark/server';
import { schema } from './schema.js';

const SEVERITY_POINTS = { low: 2, medium: 10, high: 30 } as const;

/** The inspection's risk score: points per finding by severity, at most 100. */
export function riskScore(findings: readonly { readonly severity: keyof typeof SEVERITY_POINTS }[]): number {
  return Math.min(
    100,
    findings.reduce((sum, f) => sum + SEVERITY_POINTS[f.severity], 0),
  );
}

function inspectionBeforeWrite(event: WriteEvent): WriteDecision {
  const record = event.record as { status: string; findings: { severity: 'low' | 'medium' | 'high' }[] };
  const issues: HookIssue[] = [];
  if (record.status === 'done' && record.findings.length === 0) {
    issues.push({
      path: '/findings',
      code: 'findings_required',
      message: 'a done inspection needs a finding',
    });
  }
  if (issues.length > 0) return { issues };
  return { record: { ...event.record, riskScore: riskScore(record.findings) } };
}

const me = { claim: 'userId' } as const;
const myTeams = { claim: 'teams' } as const;
const admin = { claim: 'role', eq: 'admin' } as const;
/** Members of the team `supervisors` supervise the inspections of their other teams. */
const supervisor = { claim: 'teams', contains: 'supervisors' } as const;

export default {
  schema,
  collections: {
    inspections: {
      rules: {
        // The assigned inspector, the creator, their team and admins see an inspection.
        read: {
          any: [
            { field: 'inspector', eq: me },
            { field: 'owner', eq: me },
            { field: 'team', in: myTeams },
            admin,
          ],
        },
        // Inspectors create and edit their own inspections in their teams; supervisors any
        // inspection of their teams (reassigning it to another inspector); admins everything.
        write: {
          any: [
            admin,
            {
              all: [{ field: 'team', in: myTeams }, { any: [{ field: 'inspector', eq: me }, supervisor] }],
            },
          ],
        },
        // Only supervisors (of the team) and admins delete.
        delete: { any: [admin, { all: [{ field: 'team', in: myTeams }, supervisor] }] },
      },
      hooks: { beforeWrite: inspectionBeforeWrite },
    },
    audit_notes: {
      rules: {
        read: {
          any: [
            admin,
            {
              all: [
                { claim: 'teams', contains: 'audit' },
                { field: 'team', in: myTeams },
              ],
            },
          ],
        },
        write: { any: [admin, { claim: 'teams', contains: 'audit' }] },
      },
    },
  },
} satisfies BulwarkConfig<typeof schema>;
