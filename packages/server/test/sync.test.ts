/**
 * Sync on both dialects with the demo configuration: pull pages by checkpoint with device
 * projections only, removals on delete and on loss of visibility, `reset` when the caller's teams
 * change, forged checkpoints refused; push with per-mutation applied / rejected (with reasons) /
 * conflict (with the server's version), idempotent retries, offline-only collections;
 * `device_revoked` on both routes.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Actor, createMember, inspection, signIn, snapshot, startDemoServer } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import type { TestServer } from './lib/harness.js';

interface Change {
  collection: string;
  id: string;
  version?: number;
  record?: Record<string, unknown>;
  removed?: true;
}
interface Page {
  changes: Change[];
  checkpoint: string;
  hasMore: boolean;
  reset?: true;
}

async function pullAll(
  actor: Actor,
  checkpoint: string | null,
  limit = 3,
): Promise<{ changes: Change[]; checkpoint: string; resets: number }> {
  const changes: Change[] = [];
  let cp = checkpoint;
  let resets = 0;
  for (;;) {
    const res = await actor.call('POST', '/sync/pull', { checkpoint: cp, limit });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as Page;
    if (page.reset) resets++;
    changes.push(...page.changes);
    cp = page.checkpoint;
    if (!page.hasMore) return { changes, checkpoint: cp, resets };
  }
}

describeEachDialect('sync', (dialect) => {
  let s: TestServer;
  let ann: Actor;
  let bob: Actor;
  let sue: Actor;

  beforeEach(async () => {
    s = await startDemoServer(dialect);
    const [a, b, c] = await Promise.all([
      createMember(s, 'ann', ['north']),
      createMember(s, 'bob', ['south']),
      createMember(s, 'sue', ['north', 'south', 'supervisors']),
    ]);
    [ann, bob, sue] = await Promise.all([signIn(s, 'ann', a), signIn(s, 'bob', b), signIn(s, 'sue', c)]);
  });
  afterEach(async () => {
    await s.close();
  });

  it('pulls the visible records in pages, then only what changed', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const team = i % 2 === 0 ? 'north' : 'south';
      const inspector = team === 'north' ? ann.userId : bob.userId;
      const res = await sue.call('POST', '/data/inspections', inspection(inspector, team, { site: `S${i}` }));
      ids.push(res.json().id);
    }
    const first = await pullAll(ann, null, 2);
    expect(first.changes.map((c) => c.record?.site)).toEqual(['S0', 'S2', 'S4', 'S6']);
    for (const c of first.changes) {
      expect(c.collection).toBe('inspections');
      expect(c.version).toBe(1);
      expect(Object.keys(c.record ?? {})).not.toContain('riskScore');
    }
    const again = await pullAll(ann, first.checkpoint);
    expect(again.changes).toEqual([]);
    await ann.call('PATCH', `/data/inspections/${ids[0]}`, { status: 'in_progress' });
    await bob.call('PATCH', `/data/inspections/${ids[1]}`, { status: 'in_progress' });
    const next = await pullAll(ann, again.checkpoint);
    expect(next.changes).toEqual([expect.objectContaining({ id: ids[0], version: 2 })]);
  });

  it('skips the many changes the caller may not see (record keys), in one pull', async () => {
    for (let i = 0; i < 70; i++) {
      await bob.call('POST', '/data/inspections', inspection(bob.userId, 'south', { site: `B${i}` }));
    }
    await ann.call('POST', '/data/inspections', inspection(ann.userId, 'north', { site: 'Mine' }));
    let checkpoint: string | null = null;
    let pulls = 0;
    const got: Change[] = [];
    for (;;) {
      const page = (await ann.call('POST', '/sync/pull', { checkpoint, limit: 3 })).json() as Page;
      pulls++;
      got.push(...page.changes);
      checkpoint = page.checkpoint;
      if (!page.hasMore) break;
    }
    // The read rule is served by the record keys: bob's 70 records are never examined (scanning,
    // 20 windows of 3 rows at most per pull, 71 changes needed two pulls).
    expect(pulls).toBe(1);
    expect(got.map((c) => c.record?.site)).toEqual(['Mine']);
  });

  it('sends a removal when a record is deleted or no longer visible, and only to those who saw it', async () => {
    const a = (
      await sue.call('POST', '/data/inspections', inspection(ann.userId, 'north', { site: 'A' }))
    ).json().id;
    const b = (
      await sue.call('POST', '/data/inspections', inspection(ann.userId, 'north', { site: 'B' }))
    ).json().id;
    const c = (
      await sue.call('POST', '/data/inspections', inspection(bob.userId, 'south', { site: 'C' }))
    ).json().id;
    const annCp = (await pullAll(ann, null)).checkpoint;
    const bobCp = (await pullAll(bob, null)).checkpoint;
    await sue.call('DELETE', `/data/inspections/${a}`);
    // Moved to south with bob as inspector: ann loses it, bob gains it.
    await sue.call('PATCH', `/data/inspections/${b}`, { team: 'south', inspector: bob.userId });
    await sue.call('DELETE', `/data/inspections/${c}`);
    const annNext = await pullAll(ann, annCp);
    expect(annNext.changes).toEqual([
      { collection: 'inspections', id: a, removed: true },
      { collection: 'inspections', id: b, removed: true },
    ]);
    const bobNext = await pullAll(bob, bobCp);
    expect(bobNext.changes).toEqual([
      expect.objectContaining({ id: b, version: 2 }),
      { collection: 'inspections', id: c, removed: true },
    ]);
    // Nothing new: no removal is sent twice.
    expect((await pullAll(ann, annNext.checkpoint)).changes).toEqual([]);
  });

  it('starts over with reset when the caller’s teams change', async () => {
    await sue.call('POST', '/data/inspections', inspection(bob.userId, 'south', { site: 'South' }));
    const first = await pullAll(ann, null);
    expect(first.changes).toEqual([]);
    await s.ctx.db.insertInto('user_teams').values({ user_id: ann.userId, team: 'south' }).execute();
    const after = await pullAll(ann, first.checkpoint);
    expect(after.resets).toBe(1);
    expect(after.changes.map((c) => c.record?.site)).toEqual(['South']);
    const steady = await pullAll(ann, after.checkpoint);
    expect(steady.resets).toBe(0);
  });

  it('starts over with reset when the checkpoint is ahead of the sequence (restored backup, promoted replica)', async () => {
    const counter = async () =>
      Number((await s.ctx.db.selectFrom('sync_counter').select('seq').executeTakeFirstOrThrow()).seq);
    const created = await sue.call(
      'POST',
      '/data/inspections',
      inspection(bob.userId, 'south', { site: 'Kept' }),
    );
    const kept = (created.json() as { id: string }).id;
    const backup = await counter();
    // Written after the backup: lost by the restore, but bob pulls them first.
    for (const site of ['Lost 1', 'Lost 2', 'Lost 3']) {
      await sue.call('POST', '/data/inspections', inspection(bob.userId, 'south', { site }));
    }
    const pulled = await pullAll(bob, null);
    expect(pulled.changes.map((c) => c.record?.site).sort()).toEqual(['Kept', 'Lost 1', 'Lost 2', 'Lost 3']);

    // The database goes back to the backup: what came after it is gone, the counter is back.
    await s.ctx.db.deleteFrom('record_keys').where('seq', '>', backup).execute();
    await s.ctx.db.deleteFrom('sync_notices').where('seq', '>', backup).execute();
    await s.ctx.db.deleteFrom('records').where('seq', '>', backup).execute();
    await s.ctx.db.updateTable('sync_counter').set({ seq: backup }).where('id', '=', 1).execute();

    // After the restore, the kept inspection goes to sue in team north: bob may no longer hold it. Its
    // change takes numbers bob's checkpoint already covers.
    const moved = await sue.call('PATCH', `/data/inspections/${kept}`, {
      team: 'north',
      inspector: sue.userId,
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await counter()).toBeLessThan(backup + 4);

    const next = await pullAll(bob, pulled.checkpoint);
    expect(next.resets).toBe(1);
    expect(next.changes).toEqual([]);
    // From the new checkpoint on, bob follows the sequence again.
    await sue.call('POST', '/data/inspections', inspection(bob.userId, 'south', { site: 'New' }));
    const steady = await pullAll(bob, next.checkpoint);
    expect(steady.resets).toBe(0);
    expect(steady.changes.map((c) => c.record?.site)).toEqual(['New']);
  });

  it('reads a checkpoint of the clear form issued before the upgrade, keeping the place, and answers a sealed one', async () => {
    await sue.call('POST', '/data/inspections', inspection(bob.userId, 'south', { site: 'Before' }));
    const sealed = (await pullAll(bob, null)).checkpoint;
    const cp = s.ctx.data?.checkpoints.decode(bob.device.id, sealed);
    if (cp === undefined) throw new Error('the checkpoint just issued does not decode');
    const row = await s.ctx.db
      .selectFrom('bulwark_meta')
      .select('value')
      .where('key', '=', 'sync_checkpoint_secret')
      .executeTakeFirstOrThrow();
    // The same position, as the server wrote it before checkpoints were sealed.
    const clearMac = (device: string) =>
      createHmac('sha256', Buffer.from(row.value, 'base64url'))
        .update(`bulwark-checkpoint:${device}:${cp.seq}:${cp.fingerprint}`)
        .digest('base64url')
        .slice(0, 22);
    const clear = `${cp.seq}.${cp.fingerprint}.${clearMac(bob.device.id)}`;
    await sue.call('POST', '/data/inspections', inspection(bob.userId, 'south', { site: 'After' }));
    const res = await bob.call('POST', '/sync/pull', { checkpoint: clear });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as Page;
    expect(page.reset).toBeUndefined();
    expect(page.changes.map((c) => c.record?.site)).toEqual(['After']);
    expect(page.checkpoint).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    // Still bound to the device it was issued to.
    const other = await ann.call('POST', '/sync/pull', {
      checkpoint: `${cp.seq}.${cp.fingerprint}.${clearMac(bob.device.id)}`,
    });
    expect(other.json().code).toBe('invalid_checkpoint');
  });

  it('refuses checkpoints that were forged, edited or issued to another device', async () => {
    const cp = (await pullAll(ann, null)).checkpoint;
    const [sealed, mac] = cp.split('.') as [string, string];
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const high = Number(
      (await s.ctx.db.selectFrom('sync_counter').select('seq').executeTakeFirstOrThrow()).seq,
    );
    for (const bad of [
      `${flip(sealed, 0)}.${mac}`,
      `${flip(sealed, 21)}.${mac}`,
      `${sealed}.${flip(mac, 3)}`,
      `${sealed}.${'A'.repeat(22)}`,
      `${sealed}.${mac}.`,
      // The former clear form of this very position, with a MAC of the right shape.
      `${high}.${'0'.repeat(16)}.${mac}`,
      'x',
    ]) {
      const res = await ann.call('POST', '/sync/pull', { checkpoint: bad });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('invalid_checkpoint');
    }
    const other = await bob.call('POST', '/sync/pull', { checkpoint: cp });
    expect(other.json().code).toBe('invalid_checkpoint');
    for (const body of [
      {},
      { checkpoint: 3 },
      { checkpoint: null, limit: 0 },
      { checkpoint: null, extra: 1 },
      [],
    ]) {
      expect((await ann.call('POST', '/sync/pull', body)).json().code).toBe('invalid_request');
    }
  });

  it('does not show in its checkpoints how many changes others made (the sequence is sealed)', async () => {
    const before = (await pullAll(bob, null)).checkpoint;
    // Changes bob may not see: ann's inspections of team north.
    for (let i = 0; i < 5; i++) {
      expect((await ann.call('POST', '/data/inspections', inspection(ann.userId, 'north'))).statusCode).toBe(
        201,
      );
    }
    const res = await bob.call('POST', '/sync/pull', { checkpoint: before });
    const after = (res.json() as Page).checkpoint;
    expect((res.json() as Page).changes).toEqual([]);
    const high = Number(
      (await s.ctx.db.selectFrom('sync_counter').select('seq').executeTakeFirstOrThrow()).seq,
    );
    expect(high).toBeGreaterThanOrEqual(5);
    for (const cp of [before, after]) {
      expect(cp).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
      // No part of it is a position in the change sequence, in decimal or in hex.
      for (const part of cp.split('.')) {
        expect(/^[0-9a-f]+$/i.test(part) && Number.parseInt(part, 10) <= high).toBe(false);
      }
    }
    // Still bob's, still his position: the next pull from it has nothing and keeps working.
    expect(await pullAll(bob, after)).toMatchObject({ changes: [], resets: 0 });
  });

  it('answers a batch mixing allowed and refused mutations one by one: what is refused writes nothing', async () => {
    const mine = randomUUID();
    const base = inspection(ann.userId, 'north', { site: 'Mine' });
    const created = await ann.call('POST', '/sync/push', {
      mutations: [
        {
          mutationId: 'c',
          collection: 'inspections',
          id: mine,
          op: 'upsert',
          baseVersion: null,
          record: base,
        },
      ],
    });
    expect(created.json().results[0]).toMatchObject({ status: 'applied', version: 1 });
    const bobs = (await bob.call('POST', '/data/inspections', inspection(bob.userId, 'south'))).json()
      .id as string;
    const bobsBefore = await s.ctx.db
      .selectFrom('records')
      .selectAll()
      .where('id', '=', bobs)
      .executeTakeFirstOrThrow();
    const stranger = randomUUID();
    const m = (mutationId: string, rest: Record<string, unknown>) => ({
      mutationId,
      collection: 'inspections',
      ...rest,
    });
    const res = await ann.call('POST', '/sync/push', {
      mutations: [
        m('edit', { id: mine, op: 'upsert', baseVersion: 1, record: { ...base, site: 'Edited' } }),
        m('move', { id: mine, op: 'upsert', baseVersion: 2, record: { ...base, team: 'south' } }),
        m('give', { id: mine, op: 'upsert', baseVersion: 2, record: { ...base, inspector: bob.userId } }),
        m('nul', { id: mine, op: 'upsert', baseVersion: 2, record: { ...base, team: 'north\u0000' } }),
        m('other-team', {
          id: stranger,
          op: 'upsert',
          baseVersion: null,
          record: inspection(ann.userId, 'south'),
        }),
        m('taken', { id: bobs, op: 'upsert', baseVersion: null, record: base }),
        m('take-over', { id: bobs, op: 'upsert', baseVersion: 1, record: base }),
        m('drop-bobs', { id: bobs, op: 'delete', baseVersion: 1 }),
        m('drop-mine', { id: mine, op: 'delete', baseVersion: 2 }),
        m('edit-again', {
          id: mine,
          op: 'upsert',
          baseVersion: 2,
          record: { ...base, site: 'Edited twice' },
        }),
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(
      res
        .json()
        .results.map((r: { mutationId: string; status: string; code?: string }) => [
          r.mutationId,
          r.status,
          r.code,
        ]),
    ).toEqual([
      ['edit', 'applied', undefined],
      ['move', 'rejected', 'forbidden'],
      ['give', 'rejected', 'forbidden'],
      ['nul', 'rejected', 'forbidden'],
      ['other-team', 'rejected', 'forbidden'],
      ['taken', 'rejected', 'not_found'],
      ['take-over', 'rejected', 'not_found'],
      ['drop-bobs', 'rejected', 'not_found'],
      ['drop-mine', 'rejected', 'forbidden'],
      ['edit-again', 'applied', undefined],
    ]);
    const row = await s.ctx.db
      .selectFrom('records')
      .selectAll()
      .where('id', '=', mine)
      .executeTakeFirstOrThrow();
    expect(Number(row.version)).toBe(3);
    expect(JSON.parse(row.device ?? '{}')).toMatchObject({
      site: 'Edited twice',
      team: 'north',
      inspector: ann.userId,
    });
    expect(await s.ctx.db.selectFrom('records').selectAll().where('id', '=', stranger).execute()).toEqual([]);
    expect(
      await s.ctx.db.selectFrom('records').selectAll().where('id', '=', bobs).executeTakeFirstOrThrow(),
    ).toEqual(bobsBefore);
    // A supervisor may reassign within the teams they supervise, not into another one.
    const away = await sue.call('PATCH', `/data/inspections/${bobs}`, { team: 'east' });
    expect(away.json().code).toBe('forbidden');
  });

  it('answers each pushed mutation: applied, rejected with reasons, conflict with the server version', async () => {
    const id = randomUUID();
    const res = await ann.call('POST', '/sync/push', {
      mutations: [
        {
          mutationId: 'm1',
          collection: 'inspections',
          id,
          op: 'upsert',
          baseVersion: null,
          record: inspection(ann.userId, 'north'),
        },
        {
          mutationId: 'm2',
          collection: 'inspections',
          id: randomUUID(),
          op: 'upsert',
          baseVersion: null,
          record: { ...inspection(ann.userId, 'north'), riskScore: 1, owner: 'x' },
        },
        {
          mutationId: 'm3',
          collection: 'inspections',
          id: randomUUID(),
          op: 'upsert',
          baseVersion: null,
          record: inspection(ann.userId, 'south'),
        },
        {
          mutationId: 'm4',
          collection: 'inspections',
          id,
          op: 'upsert',
          baseVersion: 1,
          record: inspection(ann.userId, 'north', { status: 'in_progress' }),
        },
        {
          mutationId: 'm5',
          collection: 'inspections',
          id,
          op: 'upsert',
          baseVersion: 1,
          record: inspection(ann.userId, 'north', { status: 'done' }),
        },
        {
          mutationId: 'm6',
          collection: 'audit_notes',
          id: randomUUID(),
          op: 'upsert',
          baseVersion: null,
          record: { inspectionId: 'x', team: 'north', text: 'y' },
        },
        { mutationId: 'm7', collection: 'nope', id: randomUUID(), op: 'delete', baseVersion: null },
      ],
    });
    expect(res.statusCode).toBe(200);
    const results = res.json().results;
    expect(results[0]).toEqual({ mutationId: 'm1', status: 'applied', version: 1 });
    expect(results[1]).toMatchObject({ mutationId: 'm2', status: 'rejected', code: 'validation_failed' });
    expect(
      results[1].issues.map((i: { path: string; code: string }) => `${i.path}:${i.code}`).sort(),
    ).toEqual(['/owner:system_field', '/riskScore:server_only']);
    expect(results[2]).toEqual({ mutationId: 'm3', status: 'rejected', code: 'forbidden' });
    expect(results[3]).toEqual({ mutationId: 'm4', status: 'applied', version: 2 });
    expect(results[4]).toMatchObject({ mutationId: 'm5', status: 'conflict', serverVersion: 2 });
    expect(results[4].serverRecord).toEqual(inspection(ann.userId, 'north', { status: 'in_progress' }));
    expect(results[5]).toEqual({ mutationId: 'm6', status: 'rejected', code: 'collection_not_synced' });
    expect(results[6]).toEqual({ mutationId: 'm7', status: 'rejected', code: 'unknown_collection' });
  });

  it('applies a retried mutation once and answers it the same way', async () => {
    const id = randomUUID();
    const body = {
      mutations: [
        {
          mutationId: 'retry-1',
          collection: 'inspections',
          id,
          op: 'upsert',
          baseVersion: null,
          record: inspection(ann.userId, 'north'),
        },
      ],
    };
    const first = (await ann.call('POST', '/sync/push', body)).json();
    const before = await snapshot(s);
    const second = (await ann.call('POST', '/sync/push', body)).json();
    expect(second).toEqual(first);
    expect(await snapshot(s)).toBe(before);
    // Another device of the same user has its own mutation ids.
    const other = await signIn(s, 'ann', ann.userId);
    expect((await other.call('POST', '/sync/push', body)).json().results[0]).toMatchObject({
      status: 'conflict',
      serverVersion: 1,
    });
    // Deleting twice: applied, then applied again with the same answer.
    const del = {
      mutations: [{ mutationId: 'del-1', collection: 'inspections', id, op: 'delete', baseVersion: 1 }],
    };
    const sueDel = (await sue.call('POST', '/sync/push', del)).json();
    expect(sueDel.results[0]).toEqual({ mutationId: 'del-1', status: 'applied', version: 2 });
    expect((await sue.call('POST', '/sync/push', del)).json()).toEqual(sueDel);
  });

  it('applies a request in one transaction, each mutation seeing the ones before it', async () => {
    const id = randomUUID();
    const m = (mutationId: string, baseVersion: number | null, site: string) => ({
      mutationId,
      collection: 'inspections',
      id,
      op: 'upsert',
      baseVersion,
      record: inspection(ann.userId, 'north', { site }),
    });
    const res = await ann.call('POST', '/sync/push', {
      mutations: [
        m('b-1', null, 'First'),
        m('b-2', 1, 'Second'),
        m('b-1', null, 'Again'),
        m('b-3', 1, 'Stale'),
      ],
    });
    expect(res.statusCode).toBe(200);
    const results = res.json().results as { mutationId: string; status: string; version?: number }[];
    expect(results.map((r) => [r.mutationId, r.status, r.version])).toEqual([
      ['b-1', 'applied', 1],
      ['b-2', 'applied', 2],
      ['b-1', 'applied', 1],
      ['b-3', 'conflict', undefined],
    ]);
    const pulled = await pullAll(ann, null);
    expect(pulled.changes.filter((c) => c.id === id).map((c) => [c.version, c.record?.site])).toEqual([
      [2, 'Second'],
    ]);
    // The counter moved past every number the request handed out: a later write comes after.
    const later = (await ann.call('POST', '/sync/push', { mutations: [m('b-4', 2, 'Third')] })).json();
    expect(later.results[0]).toEqual({ mutationId: 'b-4', status: 'applied', version: 3 });
    const next = await pullAll(ann, pulled.checkpoint);
    expect(next.changes.map((c) => [c.id, c.version])).toEqual([[id, 3]]);
  });

  it('answers a reused mutation id with its first answer, never with the record the reuse names', async () => {
    // An auditor may read an online-only note through the data API, never through sync.
    const auditor = await signIn(s, 'ada', await createMember(s, 'ada', ['north', 'audit']));
    const note = await auditor.call('POST', '/data/audit_notes', {
      inspectionId: 'i-1',
      team: 'north',
      text: 'online-only remark 7f3a',
    });
    expect(note.statusCode).toBe(201);
    const id = randomUUID();
    const create = (mutationId: string) => ({
      mutationId,
      collection: 'inspections',
      id,
      op: 'upsert',
      baseVersion: null,
      record: inspection(auditor.userId, 'north'),
    });
    await auditor.call('POST', '/sync/push', { mutations: [create('m-0')] });
    // The id is taken and visible: a conflict, which carries the inspection as it is.
    const first = await auditor.call('POST', '/sync/push', { mutations: [create('m-X')] });
    expect(first.json().results[0]).toMatchObject({
      mutationId: 'm-X',
      status: 'conflict',
      serverVersion: 1,
    });
    const edited = await auditor.call(
      'PUT',
      `/data/inspections/${id}`,
      inspection(auditor.userId, 'north', { status: 'done' }),
    );
    expect(edited.statusCode).toBe(200);
    const reused = await auditor.call('POST', '/sync/push', {
      mutations: [
        {
          mutationId: 'm-X',
          collection: 'audit_notes',
          id: note.json().id,
          op: 'upsert',
          baseVersion: 1,
          record: { inspectionId: 'i-1', team: 'north', text: 'x' },
        },
      ],
    });
    expect(reused.statusCode).toBe(200);
    expect(reused.body).not.toContain('7f3a');
    // Exactly the first answer: not the note, and not the inspection as it is now either.
    expect(reused.body).toBe(first.body);
  });

  it('refuses malformed push envelopes as a whole, applying nothing', async () => {
    const before = await snapshot(s);
    const good = {
      mutationId: 'ok',
      collection: 'inspections',
      id: randomUUID(),
      op: 'upsert',
      baseVersion: null,
      record: inspection(ann.userId, 'north'),
    };
    const bad = [
      {},
      { mutations: [] },
      { mutations: [good], extra: 1 },
      { mutations: [good, { ...good, mutationId: 'x y' }] },
      { mutations: [good, { ...good, id: 'ABC' }] },
      { mutations: [good, { ...good, op: 'merge' }] },
      { mutations: [good, { ...good, baseVersion: 0 }] },
      { mutations: [good, { ...good, op: 'delete' }] },
      { mutations: [good, { ...good, record: undefined }] },
      { mutations: Array.from({ length: 201 }, (_, i) => ({ ...good, mutationId: `m${i}` })) },
    ];
    for (const body of bad) {
      const res = await ann.call('POST', '/sync/push', body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().code).toBe('invalid_request');
    }
    expect(await snapshot(s)).toBe(before);
  });

  it('answers device_revoked on pull and push once the device is revoked', async () => {
    await s.ctx.db
      .updateTable('devices')
      .set({ status: 'revoked', revoked_at: s.clock.ms })
      .where('id', '=', ann.device.id)
      .execute();
    const pull = await ann.call('POST', '/sync/pull', { checkpoint: null });
    expect(pull.statusCode).toBe(403);
    expect(pull.json().code).toBe('device_revoked');
    const push = await ann.call('POST', '/sync/push', {
      mutations: [
        { mutationId: 'm', collection: 'inspections', id: randomUUID(), op: 'delete', baseVersion: null },
      ],
    });
    expect(push.json().code).toBe('device_revoked');
    expect((await ann.call('GET', '/data/inspections')).json().code).toBe('device_revoked');
  });
});
