/**
 * Model-based sync property, on both dialects. Random operations by several users on several
 * devices — creates, edits, reassignments to other inspectors and teams, deletes, team membership
 * changes, and pulls that stop mid-way — against a model that knows the records and decides
 * visibility on its own (a plain re-statement of the demo read rule, not the server's rule
 * engine). After every sync, each device holds exactly the device projection, at the current
 * version, of the records its user may see: nothing more, nothing less.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Actor, createMember, inspection, signIn, startDemoServer } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import type { TestServer } from './lib/harness.js';

interface UserModel {
  readonly name: string;
  id: string;
  teams: string[];
  readonly supervisor: boolean;
}
interface RecordModel {
  readonly id: string;
  readonly owner: string;
  version: number;
  fields: Record<string, unknown>;
  deleted: boolean;
}
interface DeviceState {
  readonly user: UserModel;
  readonly actor: Actor;
  checkpoint: string | null;
  store: Map<string, { version: number; record: Record<string, unknown> }>;
}

const TEAMS = ['north', 'south'];

/** The demo read rule, restated: inspector, creator, a team member, or an admin. */
function visible(user: UserModel, r: RecordModel): boolean {
  return (
    !r.deleted &&
    (r.fields.inspector === user.id || r.owner === user.id || user.teams.includes(r.fields.team as string))
  );
}

type Op =
  | { kind: 'create'; by: number; team: number; inspector: number; site: string; viaPush: boolean }
  | { kind: 'edit'; by: number; pick: number; status: string; viaPush: boolean }
  | { kind: 'reassign'; by: number; pick: number; inspector: number; team: number }
  | { kind: 'delete'; by: number; pick: number; viaPush: boolean }
  | { kind: 'teams'; user: number; teams: boolean[] }
  | { kind: 'pullOnePage'; device: number };

const createArb = fc.record({
  kind: fc.constant('create' as const),
  by: fc.nat(3),
  team: fc.nat(1),
  inspector: fc.nat(3),
  site: fc.constantFrom('Dock', 'Mill', "O'Hara", 'Ünïcode 😀'),
  viaPush: fc.boolean(),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: createArb },
  fc.record({
    kind: fc.constant('edit' as const),
    by: fc.nat(3),
    pick: fc.nat(),
    status: fc.constantFrom('scheduled', 'in_progress'),
    viaPush: fc.boolean(),
  }),
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('reassign' as const),
      by: fc.nat(3),
      pick: fc.nat(),
      inspector: fc.nat(3),
      team: fc.nat(1),
    }),
  },
  fc.record({ kind: fc.constant('delete' as const), by: fc.nat(3), pick: fc.nat(), viaPush: fc.boolean() }),
  fc.record({
    kind: fc.constant('teams' as const),
    user: fc.nat(3),
    teams: fc.tuple(fc.boolean(), fc.boolean()),
  }),
  fc.record({ kind: fc.constant('pullOnePage' as const), device: fc.nat(5) }),
);

describeEachDialect('sync model', (dialect) => {
  let s: TestServer;
  let admin: Actor;
  const users: UserModel[] = [
    { name: 'ann', id: '', teams: ['north'], supervisor: false },
    { name: 'bob', id: '', teams: ['south'], supervisor: false },
    { name: 'sue', id: '', teams: ['north'], supervisor: true },
    { name: 'dan', id: '', teams: ['south', 'north'], supervisor: true },
  ];
  const actors = new Map<string, Actor>();
  const devices: DeviceState[] = [];
  const records = new Map<string, RecordModel>();

  const claimsTeams = (u: UserModel) => (u.supervisor ? [...u.teams, 'supervisors'] : u.teams);

  beforeAll(async () => {
    s = await startDemoServer(dialect);
    for (const u of users) u.id = await createMember(s, u.name, claimsTeams(u));
    const adminId = await createMember(s, 'root', [], 'admin');
    admin = await signIn(s, 'root', adminId);
    // ann and sue have two devices each; bob and dan one.
    for (const [i, u] of [users[0], users[0], users[1], users[2], users[2], users[3]].entries()) {
      const user = u as UserModel;
      const actor = await signIn(s, user.name, user.id);
      if (!actors.has(user.name) || i > 0) actors.set(user.name, actors.get(user.name) ?? actor);
      devices.push({ user, actor, checkpoint: null, store: new Map() });
    }
  });
  afterAll(async () => {
    await s.close();
  });

  const actorOf = (u: UserModel) => actors.get(u.name) as Actor;
  const live = () => [...records.values()].filter((r) => !r.deleted);

  async function pullPage(d: DeviceState): Promise<boolean> {
    const res = await d.actor.call('POST', '/sync/pull', { checkpoint: d.checkpoint, limit: 3 });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as {
      changes: { id: string; version?: number; record?: Record<string, unknown>; removed?: true }[];
      checkpoint: string;
      hasMore: boolean;
      reset?: true;
    };
    if (page.reset) d.store.clear();
    for (const c of page.changes) {
      if (c.removed) d.store.delete(c.id);
      else d.store.set(c.id, { version: c.version as number, record: c.record as Record<string, unknown> });
    }
    d.checkpoint = page.checkpoint;
    return page.hasMore;
  }

  async function write(by: UserModel, method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
    return actorOf(by).call(method, path, body);
  }

  async function pushOne(by: UserModel, m: Record<string, unknown>) {
    const res = await actorOf(by).call('POST', '/sync/push', {
      mutations: [{ mutationId: randomUUID(), collection: 'inspections', ...m }],
    });
    expect(res.statusCode).toBe(200);
    return res.json().results[0] as { status: string; version?: number };
  }

  async function run(op: Op): Promise<void> {
    switch (op.kind) {
      case 'create': {
        const by = users[op.by] as UserModel;
        const team = TEAMS[op.team] as string;
        const inspector = (users[op.inspector] as UserModel).id;
        const fields = inspection(inspector, team, { site: op.site, findings: [] });
        if (op.viaPush) {
          const id = randomUUID();
          const r = await pushOne(by, { id, op: 'upsert', baseVersion: null, record: fields });
          if (r.status === 'applied')
            records.set(id, { id, owner: by.id, version: 1, fields, deleted: false });
        } else {
          const res = await write(by, 'POST', '/data/inspections', fields);
          if (res.statusCode === 201) {
            const id = res.json().id as string;
            records.set(id, { id, owner: by.id, version: 1, fields, deleted: false });
          } else expect(res.statusCode).toBe(403);
        }
        return;
      }
      case 'edit':
      case 'reassign':
      case 'delete': {
        const list = live();
        if (list.length === 0) return;
        const r = list[op.pick % list.length] as RecordModel;
        const by = users[op.by] as UserModel;
        if (op.kind === 'delete') {
          if (op.viaPush) {
            const res = await pushOne(by, { id: r.id, op: 'delete', baseVersion: r.version });
            if (res.status === 'applied') r.deleted = true;
          } else {
            const res = await write(by, 'DELETE', `/data/inspections/${r.id}`);
            if (res.statusCode === 204) r.deleted = true;
          }
          return;
        }
        const change =
          op.kind === 'edit'
            ? { status: op.status }
            : { inspector: (users[op.inspector] as UserModel).id, team: TEAMS[op.team] as string };
        if (op.kind === 'edit' && op.viaPush) {
          const next = { ...r.fields, ...change };
          const res = await pushOne(by, { id: r.id, op: 'upsert', baseVersion: r.version, record: next });
          if (res.status === 'applied') {
            r.fields = next;
            r.version = res.version as number;
          }
          return;
        }
        const res = await write(by, 'PATCH', `/data/inspections/${r.id}`, change);
        if (res.statusCode === 200) {
          r.fields = { ...r.fields, ...change };
          r.version = res.json().version as number;
        } else expect([403, 404]).toContain(res.statusCode);
        return;
      }
      case 'teams': {
        const u = users[op.user] as UserModel;
        u.teams = TEAMS.filter((_, i) => op.teams[i]);
        const res = await admin.call('PUT', `/admin/users/${u.id}/teams`, { teams: claimsTeams(u) });
        expect(res.statusCode).toBe(200);
        return;
      }
      case 'pullOnePage':
        await pullPage(devices[op.device] as DeviceState);
        return;
    }
  }

  it('leaves every device with exactly what its user may see', async () => {
    await fc.assert(
      // Every run starts with a few creates (some refused by the rules), so that each run has
      // records to edit, reassign, delete and pull, whatever the random draw.
      fc.asyncProperty(
        fc
          .tuple(
            fc.array(createArb, { minLength: 2, maxLength: 4 }),
            fc.array(opArb, { minLength: 5, maxLength: 30 }),
          )
          .map(([creates, rest]): Op[] => [...creates, ...rest]),
        async (ops) => {
          for (const op of ops) await run(op);
          for (const d of devices) {
            while (await pullPage(d)) {
              // next page
            }
            const expected = new Map(
              [...records.values()]
                .filter((r) => visible(d.user, r))
                .map((r) => [r.id, { version: r.version, record: r.fields }]),
            );
            expect(new Map([...d.store.entries()].sort())).toEqual(new Map([...expected.entries()].sort()));
          }
        },
      ),
      { numRuns: dialect === 'sqlite' ? 60 : 40 },
    );
    // The runs did exercise what matters.
    expect([...records.values()].filter((r) => r.deleted).length).toBeGreaterThan(3);
    expect([...records.values()].filter((r) => r.version > 1).length).toBeGreaterThan(3);
    expect(records.size).toBeGreaterThan(30);
  });
});
