/**
 * The demo app's server configuration, loaded by `bulwark serve --config apps/demo/bulwark.config.ts`:
 * the shared schema plus who may read and write what (docs/rules.md) and a business hook that
 * computes the serverOnly risk score, and the demo data `npm start` seeds on its first start (a few
 * inspectors in two teams and their supervisor, a hundred inspections). The server test suite runs
 * on this very file.
 */
import type { BulwarkConfig, HookIssue, Seed, SeedUser, WriteDecision, WriteEvent } from '@bulwark/server';
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

/** A small deterministic generator (mulberry32): the same demo data on every first start. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SITE_KINDS = [
  'Warehouse',
  'School',
  'Clinic',
  'Apartment block',
  'Depot',
  'Library',
  'Workshop',
  'Sports hall',
];
const STREETS = [
  'Harbour Road',
  'Mill Lane',
  'Station Street',
  'Quarry Hill',
  'Canal Walk',
  'Market Square',
  'Elm Avenue',
];
const FINDINGS: readonly { note: string; severity: 'low' | 'medium' | 'high' }[] = [
  { note: 'Fire door wedged open on the ground floor', severity: 'high' },
  { note: 'Emergency lighting test overdue', severity: 'medium' },
  { note: 'Loose handrail on stairs B', severity: 'medium' },
  { note: 'Extinguisher missing from its bracket in the corridor', severity: 'high' },
  { note: 'Damp patch on the ceiling of the storeroom', severity: 'low' },
  { note: 'Trip hazard: lifted floor tile by the entrance', severity: 'medium' },
  { note: 'Exit sign not lit', severity: 'medium' },
  { note: 'Electrical cupboard unlocked', severity: 'high' },
  { note: 'First-aid kit incomplete', severity: 'low' },
  { note: 'Gutter blocked above the loading bay', severity: 'low' },
];
const INTERNAL_NOTES = [
  'Owner disputed the last report; escalate if access is refused again.',
  'Tenant complaint received by phone; do not mention the complainant.',
  'Insurance claim pending: photograph every finding.',
  'Previous inspector flagged possible unpermitted works.',
];

/**
 * The demo data: inspectors in teams `north` and `south`, a supervisor of both (team
 * `supervisors`), and a hundred inspections from four weeks ago to two weeks ahead, with findings,
 * a resident's phone (sensitive: encrypted on devices) on most, and internal notes (serverOnly:
 * never sent to a device) on some. Fictional names; phone numbers from the UK's drama range.
 */
const seed: Seed = async ({ user, create, now }) => {
  const north = [
    await user({ username: 'ines', teams: ['north'] }),
    await user({ username: 'tomas', teams: ['north'] }),
  ];
  const south = [
    await user({ username: 'amara', teams: ['south'] }),
    await user({ username: 'lukas', teams: ['south'] }),
  ];
  const supervisor = await user({ username: 'noor', teams: ['supervisors', 'north', 'south'] });
  const random = generator(20_260_101);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const day = 86_400_000;
  for (let i = 0; i < 100; i += 1) {
    const team = i % 2 === 0 ? 'north' : 'south';
    const inspector: SeedUser = pick(team === 'north' ? north : south);
    const scheduledAt = new Date(now.getTime() + Math.round((random() * 42 - 28) * 4) * (day / 4));
    scheduledAt.setUTCMinutes(0, 0, 0);
    const past = scheduledAt.getTime() < now.getTime();
    const status = past ? (random() < 0.8 ? 'done' : 'in_progress') : 'scheduled';
    const findingCount = status === 'scheduled' ? 0 : (status === 'done' ? 1 : 0) + Math.floor(random() * 4);
    const findings = Array.from({ length: findingCount }, () => ({ ...pick(FINDINGS) }));
    const street = pick(STREETS);
    const fields = {
      site: `${pick(SITE_KINDS)} ${1 + Math.floor(random() * 40)}, ${street}`,
      address: `${1 + Math.floor(random() * 200)} ${street}`,
      inspector: inspector.id,
      team,
      status,
      scheduledAt: scheduledAt.toISOString(),
      ...(random() < 0.7
        ? { residentPhone: `+44 7700 900${String(Math.floor(random() * 1000)).padStart(3, '0')}` }
        : {}),
      findings,
      photos: [],
    };
    // Most inspections are created by their inspector; every fifth is assigned by the supervisor.
    await create('inspections', fields, {
      as: i % 5 === 0 ? supervisor : inspector,
      ...(random() < 0.25 ? { serverOnly: { internalNotes: pick(INTERNAL_NOTES) } } : {}),
    });
  }
};

export default {
  schema,
  seed,
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
