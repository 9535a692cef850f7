/**
 * The authorization matrix on both dialects: every data route and verb, and sync pull and push,
 * with user A's token on user B's record. A caller who may not see the record gets 404 (as for an
 * id that does not exist); one who may see but not change it gets 403; either way the database
 * is unchanged, byte for byte. Also: the central serverOnly check really fails a test that leaks.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CANARY_TEXT } from './lib/canary.js';
import { type Actor, createMember, inspection, signIn, snapshot, startDemoServer } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import type { TestServer } from './lib/harness.js';

type Verb = 'GET' | 'PATCH' | 'PUT' | 'DELETE';
const VERBS: Verb[] = ['GET', 'PATCH', 'PUT', 'DELETE'];

describeEachDialect('authorization matrix', (dialect) => {
  let s: TestServer;
  let owner: Actor; // B: inspector and creator of the records, team north
  let outsider: Actor; // A: team south, sees nothing of north
  let teammate: Actor; // in north: may read, may not change
  let auditor: Actor; // audit + north: owns an audit note
  let records: { collection: string; id: string; valid: Record<string, unknown> }[];

  beforeAll(async () => {
    s = await startDemoServer(dialect);
    const ids = await Promise.all([
      createMember(s, 'bea', ['north']),
      createMember(s, 'abe', ['south']),
      createMember(s, 'tom', ['north']),
      createMember(s, 'ada', ['audit', 'north']),
    ]);
    [owner, outsider, teammate, auditor] = await Promise.all([
      signIn(s, 'bea', ids[0] as string),
      signIn(s, 'abe', ids[1] as string),
      signIn(s, 'tom', ids[2] as string),
      signIn(s, 'ada', ids[3] as string),
    ]);
    const insp = await owner.call('POST', '/data/inspections', inspection(owner.userId, 'north'));
    const note = { inspectionId: insp.json().id, team: 'north', text: 'Handrail reported.' };
    const audit = await auditor.call('POST', '/data/audit_notes', note);
    expect([insp.statusCode, audit.statusCode]).toEqual([201, 201]);
    records = [
      { collection: 'inspections', id: insp.json().id, valid: inspection(outsider.userId, 'south') },
      { collection: 'audit_notes', id: audit.json().id, valid: { ...note, text: 'Overwritten' } },
    ];
  });
  afterAll(async () => {
    await s.close();
  });

  const bodies = (valid: Record<string, unknown>) => ({
    valid,
    invalid: { ...valid, owner: 'me', riskScore: 0, extra: true },
  });

  it('answers 404 on every data route and verb to a caller who may not see the record, changing nothing', async () => {
    let checked = 0;
    for (const r of records) {
      for (const verb of VERBS) {
        for (const [kind, body] of Object.entries(bodies(r.valid))) {
          for (const headers of [undefined, { 'if-match': '"1"' }]) {
            const before = await snapshot(s);
            const res = await outsider.call(
              verb,
              `/data/${r.collection}/${r.id}`,
              verb === 'GET' || verb === 'DELETE' ? undefined : body,
              headers,
            );
            expect(res.statusCode, `${verb} ${r.collection} ${kind}`).toBe(404);
            expect(res.json().code).toBe('not_found');
            expect(res.body).not.toContain(r.id);
            expect(await snapshot(s)).toBe(before);
            checked++;
          }
        }
      }
      const list = await outsider.call('GET', `/data/${r.collection}?limit=200`);
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain(r.id);
    }
    expect(checked).toBe(2 * 4 * 2 * 2);
  });

  it('answers the same 404 for a random id that exists nowhere', async () => {
    const res = await outsider.call('GET', `/data/inspections/${randomUUID()}`);
    const hidden = await outsider.call('GET', `/data/inspections/${records[0]?.id}`);
    expect(res.statusCode).toBe(404);
    expect(hidden.body).toBe(res.body);
  });

  it('answers 403 on every changing verb to a caller who may see but not change the record', async () => {
    const r = records[0] as (typeof records)[number];
    expect((await teammate.call('GET', `/data/inspections/${r.id}`)).statusCode).toBe(200);
    for (const verb of ['PATCH', 'PUT', 'DELETE'] as const) {
      for (const body of Object.values(bodies(inspection(owner.userId, 'north', { site: 'Taken over' })))) {
        const before = await snapshot(s);
        const res = await teammate.call(
          verb,
          `/data/inspections/${r.id}`,
          verb === 'DELETE' ? undefined : body,
        );
        expect(res.statusCode, verb).toBe(403);
        expect(res.json().code).toBe('forbidden');
        expect(await snapshot(s)).toBe(before);
      }
    }
    // Not through the list filter either: a client filter cannot widen the read rule.
    const notes = await outsider.call(
      'GET',
      `/data/audit_notes?filter=${encodeURIComponent('{"field":"team","eq":"north"}')}`,
    );
    expect(notes.json().records).toEqual([]);
  });

  it('never pulls another user’s record, and rejects every push on it, changing nothing', async () => {
    for (const actor of [outsider]) {
      const page = await actor.call('POST', '/sync/pull', { checkpoint: null, limit: 1000 });
      expect(page.statusCode).toBe(200);
      for (const r of records) expect(page.body).not.toContain(r.id);
    }
    const r = records[0] as (typeof records)[number];
    const mutations = [
      { op: 'upsert', baseVersion: 1, record: r.valid },
      { op: 'upsert', baseVersion: null, record: r.valid },
      { op: 'upsert', baseVersion: 7, record: r.valid },
      { op: 'upsert', baseVersion: 1, record: { ...r.valid, owner: 'x' } },
      { op: 'delete', baseVersion: 1 },
      { op: 'delete', baseVersion: null },
    ];
    for (const [i, m] of mutations.entries()) {
      const before = await snapshot(s);
      const res = await outsider.call('POST', '/sync/push', {
        mutations: [{ mutationId: `x${i}`, collection: 'inspections', id: r.id, ...m }],
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().results[0], JSON.stringify(m)).toEqual({
        mutationId: `x${i}`,
        status: 'rejected',
        code: 'not_found',
      });
      expect(await snapshot(s)).toBe(before);
    }
    // A reader who may not write gets forbidden, and nothing changes.
    for (const [i, m] of mutations.slice(0, 1).concat(mutations.slice(4, 5)).entries()) {
      const before = await snapshot(s);
      const res = await teammate.call('POST', '/sync/push', {
        mutations: [{ mutationId: `t${i}`, collection: 'inspections', id: r.id, ...m }],
      });
      expect(res.json().results[0]).toEqual({ mutationId: `t${i}`, status: 'rejected', code: 'forbidden' });
      expect(await snapshot(s)).toBe(before);
    }
    // The online-only collection is never pushed to.
    const note = records[1] as (typeof records)[number];
    const before = await snapshot(s);
    const res = await auditor.call('POST', '/sync/push', {
      mutations: [{ mutationId: 'n1', collection: 'audit_notes', id: note.id, op: 'delete', baseVersion: 1 }],
    });
    expect(res.json().results[0].code).toBe('collection_not_synced');
    expect(await snapshot(s)).toBe(before);
    // And never pulled, even by its owner.
    const own = await auditor.call('POST', '/sync/pull', { checkpoint: null });
    expect(own.body).not.toContain(note.id);
  });

  it('catches a serverOnly canary in any response (the central check is live)', async () => {
    const probe = await startDemoServer(dialect);
    const member = await createMember(probe, 'pat', ['north']);
    const pat = await signIn(probe, 'pat', member);
    // The validator names an unknown key in its answer: a key spelled like the canary leaks it.
    const res = await pat.call('POST', '/data/inspections', {
      ...inspection(member, 'north'),
      [CANARY_TEXT]: 1,
    });
    expect(res.statusCode).toBe(422);
    await expect(probe.close()).rejects.toThrow(/serverOnly canary was sent by: POST \/data\/inspections/);
  });
});
