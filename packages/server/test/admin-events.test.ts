/**
 * The console's security-event and key routes on both dialects: events newest first with type
 * (repeated or comma-separated), user, device and time filters and cursor pages; invalid dates,
 * cursors and types refused with stable codes; the chain check with its head hash, and a
 * tampered entry found; signing keys listed active and retired.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, type Session, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

interface EventJson {
  seq: number;
  at: string;
  type: string;
  userId?: string;
  deviceId?: string;
  subject?: string;
  ip?: string;
  details: Record<string, unknown>;
  hash: string;
}

describeEachDialect('admin events and keys', (dialect) => {
  let s: TestServer;
  let admin: TestDevice;
  let adminSession: Session;
  let ginaId: string;
  let start: string;

  beforeEach(async () => {
    s = await startTestServer(dialect);
    start = s.clock.now().toISOString();
    await s.user('root', PASSWORD, 'admin');
    ginaId = await s.user('gina', PASSWORD);
    admin = await TestDevice.create(s);
    adminSession = await admin.login('root', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  const call = (method: 'GET' | 'POST', path: string) => admin.call(adminSession, method, path);
  const events = async (query = '') => {
    const res = await call('GET', `/admin/events${query}`);
    expect(res.statusCode).toBe(200);
    return res.json() as { events: EventJson[]; nextCursor?: string };
  };

  it('lists events newest first and filters them by type, user, device and time', async () => {
    const gina = await TestDevice.create(s);
    s.clock.advance(60);
    const middle = s.clock.now().toISOString();
    await gina.login('gina', PASSWORD);
    await gina.loginRaw('gina', 'wrong-password-here');
    s.clock.advance(60);
    const late = s.clock.now().toISOString();
    await call('POST', `/admin/users/${ginaId}/disable`);
    await s.ctx.events.flush();

    const all = await events();
    const seqs = all.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(all.events[0]).toMatchObject({
      type: 'user_disabled',
      userId: adminSession.userId,
      subject: ginaId,
    });
    expect(all.events[0]?.hash).toMatch(/^[0-9a-f]{64}$/);

    const types = (page: { events: EventJson[] }) => page.events.map((e) => e.type);
    expect(types(await events('?type=login_failed'))).toEqual(['login_failed']);
    expect(types(await events('?type=login_failed,user_disabled'))).toEqual([
      'user_disabled',
      'login_failed',
    ]);
    expect(types(await events('?type=login_failed&type=user_disabled'))).toEqual([
      'user_disabled',
      'login_failed',
    ]);
    expect(types(await events('?type=no_such_type'))).toEqual([]);
    // userId: what the user did and what was done to it.
    expect(types(await events(`?userId=${ginaId}`))).toEqual([
      'user_disabled',
      'login_failed',
      'login_succeeded',
      'device_enrolled',
    ]);
    expect(types(await events(`?deviceId=${gina.id.toUpperCase()}&type=login_succeeded`))).toEqual([
      'login_succeeded',
    ]);
    expect(types(await events(`?since=${middle}&until=${late}`))).toEqual([
      'login_failed',
      'login_succeeded',
      'device_enrolled',
    ]);
    expect(types(await events(`?since=${encodeURIComponent(late.replace('Z', '+00:00'))}`))).toEqual([
      'user_disabled',
    ]);
    const beforeAll = await events(`?until=${start}`);
    expect(beforeAll.events).toEqual([]);
    // The login attempt names what was tried: returned as data.
    expect((await events('?type=login_failed')).events[0]?.details).toEqual({
      reason: 'invalid_credentials',
    });
  });

  it('pages with a cursor, newest first, every event once; afterSeq keeps the oldest-first paging', async () => {
    for (let i = 0; i < 6; i += 1) await call('POST', '/admin/keys/rotate');
    await s.ctx.events.flush();
    const total = (await events('?limit=1000')).events.length;
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await events(`?limit=3${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      seen.push(...page.events.map((e) => e.seq));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 20);
    expect(seen.length).toBeGreaterThanOrEqual(total);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(seen.at(-1)).toBe(1);
    // A filter pages too.
    const rotations = await events('?type=signing_key_rotated&limit=4');
    expect(rotations.events).toHaveLength(4);
    const rest = await events(`?type=signing_key_rotated&limit=4&cursor=${rotations.nextCursor}`);
    expect(rest.events).toHaveLength(2);
    expect(rest.nextCursor).toBeUndefined();

    expect((await events('?afterSeq=1&limit=2')).events.map((e) => e.seq)).toEqual([2, 3]);
  });

  it('refuses bad dates, cursors, types and limits with stable codes', async () => {
    for (const bad of [
      'since=yesterday',
      'since=2030-01-15',
      'until=2030-13-45T00:00:00Z',
      'since=2030-01-15T09:00:00',
      'until=1e12',
      `since=${encodeURIComponent('2030-01-15T09:00:00Z; drop table users')}`,
    ]) {
      const res = await call('GET', `/admin/events?${bad}`);
      expect([bad, res.statusCode, res.json().code]).toEqual([bad, 400, 'invalid_date']);
    }
    const usersCursor = Buffer.from(JSON.stringify({ k: 'users', v: [1, 'a'] })).toString('base64url');
    const negative = Buffer.from(JSON.stringify({ k: 'events', v: [-1] })).toString('base64url');
    for (const bad of [`cursor=${usersCursor}`, `cursor=${negative}`, 'cursor=%7B%7D', 'cursor=AAAA']) {
      const res = await call('GET', `/admin/events?${bad}`);
      expect([bad, res.statusCode, res.json().code]).toEqual([bad, 400, 'invalid_cursor']);
    }
    for (const bad of [
      'type=Login',
      `type=${'a'.repeat(61)}`,
      `type=${Array.from({ length: 31 }, (_, i) => `t${i}`).join(',')}`,
      'type=a;b',
      'limit=0',
      'limit=1001',
      `userId=${'u'.repeat(65)}`,
      `since=${'2'.repeat(41)}`,
      'afterSeq=1&cursor=abc',
      // Past PostgreSQL's bigint (the statement failed: a 500), and past what a JS number holds.
      'afterSeq=99999999999999999999',
      'afterSeq=9007199254740993',
      'nope=1',
    ]) {
      const res = await call('GET', `/admin/events?${bad}`);
      expect([bad.slice(0, 40), res.statusCode, res.json().code]).toEqual([
        bad.slice(0, 40),
        400,
        'invalid_request',
      ]);
    }
  });

  it('verifies the chain and gives the head hash to copy; a tampered entry is found', async () => {
    await call('POST', `/admin/users/${ginaId}/disable`);
    await s.ctx.events.flush();
    const res = await call('GET', '/admin/events/verify');
    expect(res.statusCode).toBe(200);
    const report = res.json();
    const newest = (await events('?limit=1')).events[0];
    expect(report).toEqual({
      ok: true,
      count: report.headSeq,
      headSeq: newest?.seq,
      headHash: newest?.hash,
      problems: [],
    });

    await sql`update audit_events set data = ${'{"sessionsEnded":7}'} where type = ${'user_disabled'}`.execute(
      s.ctx.db,
    );
    const broken = (await call('GET', '/admin/events/verify')).json();
    expect(broken).toMatchObject({ ok: false, brokenAtSeq: newest?.seq });
    expect(broken.problems).toContainEqual({ seq: newest?.seq, reason: 'hash_mismatch' });
  });

  it('checks anchors kept elsewhere: a cut tail whose head was set to match is found; a bad anchor is 400', async () => {
    await call('POST', `/admin/users/${ginaId}/disable`);
    await call('POST', `/admin/users/${ginaId}/enable`);
    const intact = (await call('GET', '/admin/events/verify')).json();
    const anchor: string = intact.headHash;
    const kept = (await call('GET', `/admin/events/verify?anchor=${anchor}`)).json();
    expect(kept).toMatchObject({ ok: true, problems: [] });

    // Cut the newest event and set the head to the one before it.
    const before = (await events(`?afterSeq=${intact.headSeq - 2}&limit=1`)).events[0];
    await sql`delete from audit_events where seq = ${intact.headSeq}`.execute(s.ctx.db);
    await sql`update audit_head set seq = ${before?.seq}, hash = ${before?.hash} where id = 1`.execute(
      s.ctx.db,
    );
    expect((await call('GET', '/admin/events/verify')).json()).toMatchObject({ ok: true });
    const cut = (await call('GET', `/admin/events/verify?anchor=${anchor}&anchor=${before?.hash}`)).json();
    expect(cut).toMatchObject({ ok: false, brokenAtSeq: before?.seq });
    expect(cut.problems).toEqual([{ seq: before?.seq, reason: 'anchor_missing', anchor }]);

    for (const bad of ['xyz', anchor.toUpperCase(), `${anchor}0`, '']) {
      const res = await call('GET', `/admin/events/verify?anchor=${encodeURIComponent(bad)}`);
      expect([bad, res.statusCode, res.json().code]).toEqual([bad, 400, 'invalid_request']);
    }
  });

  it('still lists the log when an entry was edited so that its details no longer parse, and the check names it', async () => {
    for (let i = 0; i < 3; i += 1) {
      await call('POST', `/admin/users/${ginaId}/disable`);
      await call('POST', `/admin/users/${ginaId}/enable`);
    }
    await s.ctx.events.flush();
    const all = (await events('?limit=1000')).events;
    const edits = ['{"sessionsEnded":', 'null', '[1,2]', '"text"', '42', `{${'x'.repeat(5000)}`];
    const edited = all.slice(0, edits.length);
    expect(edited).toHaveLength(edits.length);
    for (const [i, event] of edited.entries()) {
      await sql`update audit_events set data = ${edits[i]} where seq = ${event.seq}`.execute(s.ctx.db);
    }
    const res = await call('GET', '/admin/events?limit=1000');
    expect(res.statusCode).toBe(200);
    const listed = res.json().events as Array<{ seq: number; details: unknown }>;
    expect(listed).toHaveLength(all.length);
    for (const [i, event] of edited.entries()) {
      expect(listed.find((e) => e.seq === event.seq)?.details).toEqual({
        unreadable: (edits[i] ?? '').slice(0, 2000),
      });
    }
    const oldestFirst = await call('GET', '/admin/events?afterSeq=0&limit=1000');
    expect(oldestFirst.statusCode).toBe(200);
    const report = (await call('GET', '/admin/events/verify')).json();
    expect(report.ok).toBe(false);
    for (const event of edited)
      expect(report.problems).toContainEqual({ seq: event.seq, reason: 'hash_mismatch' });
  });

  it('lists signing keys, active and retired, without private parts', async () => {
    const before = (await call('GET', '/admin/keys')).json().keys as Array<Record<string, unknown>>;
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ alg: 'ES256', status: 'active', published: true });
    expect(before[0]?.retiredAt).toBeUndefined();
    s.clock.advance(10);
    const { kid } = (await call('POST', '/admin/keys/rotate')).json() as { kid: string };
    const res = await call('GET', '/admin/keys');
    const keys = res.json().keys as Array<Record<string, unknown>>;
    expect(keys.map((k) => [k.kid, k.status])).toEqual([
      [kid, 'active'],
      [before[0]?.kid, 'retired'],
    ]);
    expect(keys[1]).toMatchObject({
      createdAt: before[0]?.createdAt,
      retiredAt: s.clock.now().toISOString(),
      published: true,
    });
    expect(res.body).not.toMatch(/"d"|private|"x"/);
    // A month and a day later the retired key is no longer published.
    s.clock.advance(32 * 86_400);
    const adminAgain = await TestDevice.create(s);
    const fresh = await adminAgain.login('root', PASSWORD);
    const later = (await adminAgain.call(fresh, 'GET', '/admin/keys')).json().keys as Array<
      Record<string, unknown>
    >;
    expect(later.map((k) => k.published)).toEqual([true, false]);
  });
});
