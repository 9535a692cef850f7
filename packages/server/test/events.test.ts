/**
 * The security event log on both dialects: events are chained; verification passes on an untouched log
 * and catches an edited, a deleted and a truncated entry, and, given an anchor kept elsewhere, a cut
 * tail or a rewrite whose head was set to match; concurrent appends keep one chain; a
 * subject the database cannot store as given (an unpaired surrogate, an emoji cut in half at the
 * subject's length limit, NUL) does not break the chain.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SecurityEventLog } from '../src/events/log.js';
import { verifyEventChain } from '../src/events/verify.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

describeEachDialect('security event log', (dialect) => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServer(dialect);
    await s.user('ivan', PASSWORD);
    const device = await TestDevice.create(s);
    await device.login('ivan', PASSWORD);
    await device.loginRaw('ivan', 'wrong-password-x');
    await device.loginRaw('nobody', 'wrong-password-x');
    await s.ctx.events.flush();
  });
  afterEach(async () => {
    await s.close();
  });

  it('records who, what, when and from where, without secrets, and verifies', async () => {
    const events = await s.ctx.events.list();
    expect(events.map((e) => e.type)).toEqual([
      'device_enrolled',
      'login_succeeded',
      'login_failed',
      'login_failed',
    ]);
    const failed = events[2];
    expect(failed?.ip).toBe('127.0.0.1');
    expect(failed?.at).toBe(s.clock.now().toISOString());
    expect(failed?.subject).toBe('ivan');
    expect(JSON.stringify(events)).not.toContain('wrong-password-x');
    const report = await verifyEventChain(s.ctx.db);
    expect(report).toMatchObject({ ok: true, entries: 4, headSeq: 4, problems: [] });
  });

  it('catches an edited entry', async () => {
    await s.ctx.db
      .updateTable('audit_events')
      .set({ subject: 'someone-else' })
      .where('seq', '=', 3)
      .execute();
    const report = await verifyEventChain(s.ctx.db);
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual({ seq: 3, reason: 'hash_mismatch' });
  });

  it('catches an edited entry whose hash was recomputed (the next link breaks)', async () => {
    const { entryHash } = await import('../src/events/chain.js');
    const row = await s.ctx.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '=', 2)
      .executeTakeFirstOrThrow();
    const edited = { ...row, seq: 2, ip: '10.0.0.1' };
    await s.ctx.db
      .updateTable('audit_events')
      .set({ ip: edited.ip, hash: entryHash(edited) })
      .where('seq', '=', 2)
      .execute();
    const report = await verifyEventChain(s.ctx.db);
    expect(report.problems).toContainEqual({ seq: 3, reason: 'broken_link' });
  });

  it('catches a deleted entry and a deleted tail', async () => {
    await s.ctx.db.deleteFrom('audit_events').where('seq', '=', 2).execute();
    const gap = await verifyEventChain(s.ctx.db);
    expect(gap.problems).toEqual(
      expect.arrayContaining([
        { seq: 3, reason: 'sequence_gap' },
        { seq: 3, reason: 'broken_link' },
      ]),
    );
    await s.close();
    s = await startTestServer(dialect);
    await s.ctx.events.append({ type: 'user_created', subject: 'a' });
    await s.ctx.events.append({ type: 'user_created', subject: 'b' });
    await s.ctx.db.deleteFrom('audit_events').where('seq', '=', 2).execute();
    const tail = await verifyEventChain(s.ctx.db);
    expect(tail.problems).toEqual([{ seq: 2, reason: 'head_mismatch' }]);
  });

  it('catches a cut tail or a rewritten chain whose head was set to match, given an anchor kept elsewhere', async () => {
    const { entryHash } = await import('../src/events/chain.js');
    // The head as an admin copied it (the console's copy button, `bulwark events verify`).
    const anchor = (await verifyEventChain(s.ctx.db)).headHash;
    const older = (await s.ctx.events.list()).find((e) => e.seq === 2)?.hash ?? '';
    expect(await verifyEventChain(s.ctx.db, 1000, [anchor, older])).toMatchObject({ ok: true, problems: [] });

    // Cut the two newest events and set the head to the new last one: nothing else looks wrong.
    await s.ctx.db.deleteFrom('audit_events').where('seq', '>', 2).execute();
    await s.ctx.db.updateTable('audit_head').set({ seq: 2, hash: older }).where('id', '=', 1).execute();
    expect(await verifyEventChain(s.ctx.db)).toMatchObject({ ok: true, entries: 2 });
    const cut = await verifyEventChain(s.ctx.db, 1000, [anchor, older]);
    expect(cut.ok).toBe(false);
    expect(cut.problems).toEqual([{ seq: 2, reason: 'anchor_missing', anchor }]);

    // Forge new events after the cut, hashes recomputed and the head moved: still not the anchor.
    let prev = older;
    for (const seq of [3, 4]) {
      const fields = {
        seq,
        at: s.clock.now().toISOString(),
        type: 'login_succeeded',
        actor_user_id: null,
        actor_device_id: null,
        subject: 'ivan',
        ip: '127.0.0.1',
        data: '{}',
        prev_hash: prev,
      };
      prev = entryHash(fields);
      await s.ctx.db
        .insertInto('audit_events')
        .values({ ...fields, hash: prev })
        .execute();
    }
    await s.ctx.db.updateTable('audit_head').set({ seq: 4, hash: prev }).where('id', '=', 1).execute();
    expect(await verifyEventChain(s.ctx.db)).toMatchObject({ ok: true, entries: 4 });
    expect((await verifyEventChain(s.ctx.db, 1000, [anchor])).problems).toEqual([
      { seq: 4, reason: 'anchor_missing', anchor },
    ]);
    // The older anchor still holds: the log up to it is what it was.
    expect(await verifyEventChain(s.ctx.db, 1000, [older])).toMatchObject({ ok: true });
    await expect(verifyEventChain(s.ctx.db, 1000, ['not a hash'])).rejects.toThrow(TypeError);
  });

  it('keeps a single chain under concurrent appends, also from two writers (two nodes)', async () => {
    const otherNode = new SecurityEventLog(s.ctx.db, dialect, s.clock.now);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? s.ctx.events : otherNode).append({ type: 'user_created', subject: `u${i}` }),
      ),
    );
    const report = await verifyEventChain(s.ctx.db, 7);
    expect(report).toMatchObject({ ok: true, entries: 44 });
  });

  it('stays verifiable when a subject cannot be stored as given (unpaired surrogate, emoji cut at the limit, NUL)', async () => {
    const device = await TestDevice.create(s);
    // Both databases store text as UTF-8, which has no unpaired surrogates, and PostgreSQL text has
    // no NUL: what the hash covers must be what is stored, or one anonymous sign-in attempt breaks
    // the chain. A sign-in body with an unpaired surrogate is refused before it reaches the log;
    // a long well-formed name is cut to the subject's 200 code units, between two characters.
    expect((await device.loginRaw('zz\ud800zz', 'wrong-password-x')).statusCode).toBe(400);
    expect((await device.loginRaw(`${'a'.repeat(199)}\u{1F600}`, 'wrong-password-x')).statusCode).toBe(401);
    await s.ctx.events.flush();
    // What an identity provider sends is not checked like a sign-in body.
    await s.ctx.events.append({ type: 'login_failed', subject: 'oidc:zz\ud800zz' });
    await s.ctx.events.append({ type: 'login_failed', subject: 'oidc:a\u0000b' });
    const report = await verifyEventChain(s.ctx.db);
    expect(report).toMatchObject({ ok: true, entries: 7, problems: [] });
    const subjects = (await s.ctx.events.list()).map((e) => e.subject);
    expect(subjects).toContain('a'.repeat(199));
    expect(subjects).toContain('oidc:zz\ufffdzz');
    expect(subjects).toContain('oidc:a\ufffdb');
  });
});
