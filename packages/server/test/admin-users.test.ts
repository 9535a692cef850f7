/**
 * The console's user routes on both dialects: list with search (LIKE wildcards taken
 * literally), filters and cursor pages; one user; creation with a one-time password and teams;
 * role changes and password resets with their self-protection (and the last enabled admin kept
 * when two admins demote or disable each other at once), sessions and audit events; bad
 * input refused with stable codes; usernames with markup returned verbatim.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createUser } from '../src/identity/users.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, type Session, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

interface UserJson {
  id: string;
  username: string;
  role: string;
  disabled: boolean;
  mustChangePassword: boolean;
  teams: string[];
  createdAt: string;
  deviceCount: number;
  lastSeenAt?: string;
}

describeEachDialect('admin users', (dialect) => {
  let s: TestServer;
  let admin: TestDevice;
  let adminSession: Session;
  let ginaId: string;

  beforeEach(async () => {
    s = await startTestServer(dialect);
    await s.user('root', PASSWORD, 'admin');
    s.clock.advance(1);
    ginaId = await s.user('gina', PASSWORD);
    admin = await TestDevice.create(s);
    adminSession = await admin.login('root', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  const call = (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) =>
    admin.call(adminSession, method, path, body);

  it('lists users with teams, device count and last contact, and reads one', async () => {
    const phone = await TestDevice.create(s);
    await phone.login('gina', PASSWORD);
    s.clock.advance(30);
    const tablet = await TestDevice.create(s);
    await tablet.login('gina', PASSWORD);
    await call('PUT', `/admin/users/${ginaId}/teams`, { teams: ['north', 'audit'] });

    const list = await call('GET', '/admin/users');
    expect(list.statusCode).toBe(200);
    const users = list.json().users as UserJson[];
    expect(users.map((u) => u.username)).toEqual(['root', 'gina']);
    expect(list.json().nextCursor).toBeUndefined();
    const gina = users[1];
    expect(gina).toEqual({
      id: ginaId,
      username: 'gina',
      role: 'user',
      disabled: false,
      mustChangePassword: false,
      teams: ['audit', 'north'],
      createdAt: new Date(s.clock.ms - 30_000).toISOString(),
      deviceCount: 2,
      lastSeenAt: s.clock.now().toISOString(),
    });
    const one = await call('GET', `/admin/users/${ginaId}`);
    expect(one.json()).toEqual({ user: gina });
    expect(list.body).not.toContain('password_hash');
    expect(list.body).not.toContain('argon2');

    const missing = await call('GET', '/admin/users/00000000-0000-4000-8000-000000000000');
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'user_not_found']);
    const tooLong = await call('GET', `/admin/users/${'a'.repeat(65)}`);
    expect([tooLong.statusCode, tooLong.json().code]).toEqual([400, 'invalid_request']);
  });

  it('searches usernames as substrings, case-insensitively, with % and _ matched literally', async () => {
    for (const name of ['Anna_Smith', 'annabel', 'joanna', 'bob%', 'bobby', 'a_b']) {
      await s.user(name, PASSWORD);
    }
    const names = async (q: string) => {
      const res = await call('GET', `/admin/users?q=${encodeURIComponent(q)}`);
      expect(res.statusCode).toBe(200);
      return (res.json().users as UserJson[]).map((u) => u.username).sort();
    };
    expect(await names('ANNA')).toEqual(['Anna_Smith', 'annabel', 'joanna']);
    expect(await names('_')).toEqual(['Anna_Smith', 'a_b']);
    expect(await names('%')).toEqual(['bob%']);
    expect(await names('a%b')).toEqual([]);
    expect(await names("' or 1=1 --")).toEqual([]);
    expect(await names('')).toHaveLength(8);
  });

  it('filters by role and disabled state', async () => {
    await s.user('ivy', PASSWORD, 'admin');
    await call('POST', `/admin/users/${ginaId}/disable`);
    const names = async (query: string) =>
      ((await call('GET', `/admin/users?${query}`)).json().users as UserJson[]).map((u) => u.username).sort();
    expect(await names('role=admin')).toEqual(['ivy', 'root']);
    expect(await names('role=user')).toEqual(['gina']);
    expect(await names('disabled=true')).toEqual(['gina']);
    expect(await names('disabled=false')).toEqual(['ivy', 'root']);
    expect(await names('disabled=false&role=admin&q=IV')).toEqual(['ivy']);
    for (const bad of ['role=owner', 'disabled=maybe', 'limit=0', 'limit=201', 'limit=x', 'sort=name']) {
      const res = await call('GET', `/admin/users?${bad}`);
      expect([bad, res.statusCode, res.json().code]).toEqual([bad, 400, 'invalid_request']);
    }
    const longQ = await call('GET', `/admin/users?q=${'x'.repeat(201)}`);
    expect(longQ.statusCode).toBe(400);
  });

  it('pages with an opaque cursor: every user once, in order, even with equal creation times', async () => {
    // Same clock for all: the id breaks the ties.
    for (let i = 0; i < 5; i += 1) await s.user(`user${i}`, PASSWORD);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await call('GET', `/admin/users?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      expect(res.statusCode).toBe(200);
      const page = res.json() as { users: UserJson[]; nextCursor?: string };
      expect(page.users.length).toBeLessThanOrEqual(2);
      seen.push(...page.users.map((u) => u.username));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 10);
    expect(pages).toBe(4);
    expect(seen[0]).toBe('root');
    expect([...seen].sort()).toEqual(['gina', 'root', 'user0', 'user1', 'user2', 'user3', 'user4']);

    const devicesCursor = Buffer.from(JSON.stringify({ k: 'devices', v: [1, 'x'] })).toString('base64url');
    const wrongShape = Buffer.from(JSON.stringify({ k: 'users', v: ['1', 2] })).toString('base64url');
    for (const bad of ['!!!', 'bm90IGpzb24', devicesCursor, wrongShape, 'a'.repeat(401)]) {
      const res = await call('GET', `/admin/users?cursor=${encodeURIComponent(bad)}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe(bad.length > 400 ? 'invalid_request' : 'invalid_cursor');
    }
  });

  it('creates a user with a one-time password that must be changed, and with teams', async () => {
    const res = await call('POST', '/admin/users', { username: 'hank', teams: ['south'] });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { user: UserJson; oneTimePassword: string };
    expect(body.user).toMatchObject({
      username: 'hank',
      role: 'user',
      mustChangePassword: true,
      teams: ['south'],
      deviceCount: 0,
    });
    expect(body.user.lastSeenAt).toBeUndefined();
    expect(body.oneTimePassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const phone = await TestDevice.create(s);
    const session = await phone.login('hank', body.oneTimePassword);
    expect(session.body.user).toMatchObject({ mustChangePassword: true });
    const changed = await phone.call(session, 'POST', '/auth/password', {
      currentPassword: body.oneTimePassword,
      newPassword: 'a-brand-new-passphrase-7',
    });
    expect(changed.statusCode).toBe(200);

    // With a password: no one-time password, nothing to change.
    const withPassword = await call('POST', '/admin/users', {
      username: 'iris',
      password: PASSWORD,
      role: 'admin',
    });
    expect(withPassword.json().oneTimePassword).toBeUndefined();
    expect(withPassword.json().user).toMatchObject({ role: 'admin', mustChangePassword: false, teams: [] });

    await s.ctx.events.flush();
    const [created] = await s.ctx.events.list({ type: 'user_created', limit: 1 });
    expect(created?.data).toEqual({
      username: 'hank',
      role: 'user',
      teams: ['south'],
      oneTimePassword: true,
    });
    const events = await call('GET', '/admin/events?limit=1000');
    expect(events.body).not.toContain(body.oneTimePassword);
  });

  it('refuses bad new users with stable codes and stores nothing', async () => {
    const count = async () => (await s.ctx.db.selectFrom('users').select('id').execute()).length;
    const before = await count();
    const cases: Array<[unknown, string]> = [
      [{ username: 'x'.repeat(201) }, 'invalid_request'],
      [{ username: '' }, 'invalid_request'],
      [{ username: 'tab\there' }, 'invalid_username'],
      [{ username: '   ' }, 'invalid_username'],
      // Names that would be stored as another string (UTF-8 has no unpaired surrogates), or that
      // read exactly like another account's: zero-width space, a right-to-left override, a BOM.
      [{ username: 'gi\ud800na' }, 'invalid_username'],
      [{ username: 'gina\u200b' }, 'invalid_username'],
      [{ username: '\u202eanig' }, 'invalid_username'],
      [{ username: '\ufeffgina' }, 'invalid_username'],
      [{ username: 'gina\u0085' }, 'invalid_username'],
      [{ username: 'ok', role: 'owner' }, 'invalid_request'],
      [{ username: 'ok', teams: ['a b'] }, 'invalid_request'],
      [{ username: 'ok', teams: ['a', 'a'] }, 'invalid_request'],
      [{ username: 'ok', teams: Array.from({ length: 101 }, (_, i) => `t${i}`) }, 'invalid_request'],
      [{ username: 'ok', password: 'x'.repeat(4097) }, 'invalid_request'],
      [{ username: 'ok', extra: 1 }, 'invalid_request'],
      [{ username: 'GINA' }, 'user_exists'],
    ];
    for (const [body, code] of cases) {
      const res = await call('POST', '/admin/users', body);
      expect([JSON.stringify(body).slice(0, 60), res.statusCode < 500, res.json().code]).toEqual([
        JSON.stringify(body).slice(0, 60),
        true,
        code,
      ]);
    }
    expect(await count()).toBe(before);
    // In-process (seed, CLI, an identity provider's name at first sign-in) the schema is not there:
    // 300 characters whose NFKC form is 150 must not reach the 200-character column (PostgreSQL
    // would fail the insert).
    const deps = { db: s.ctx.db, passwords: s.ctx.passwords, rules: s.ctx.config.passwords, now: s.ctx.now };
    await expect(
      createUser(deps, { username: 'e\u0301'.repeat(150), password: PASSWORD, role: 'user' }),
    ).rejects.toMatchObject({ code: 'invalid_username' });
    expect(await count()).toBe(before);
  });

  it('accepts names in any script, joiners and emoji sequences included, and stores them as sent', async () => {
    for (const username of [
      'Zoë Ångström',
      'مریم\u200cزاده',
      '👩\u200d🔬 lab',
      '山田太郎',
      `${'x'.repeat(150)}😀`,
    ]) {
      const res = await call('POST', '/admin/users', { username, password: PASSWORD });
      expect([username, res.statusCode]).toEqual([username, 201]);
      const read = await call('GET', `/admin/users/${res.json().user.id}`);
      expect(read.json().user.username).toBe(username);
    }
  });

  it('returns usernames with markup verbatim, as JSON strings', async () => {
    const markup = `<img src=x onerror="alert(1)">&amp;<script>x</script>`;
    const res = await call('POST', '/admin/users', { username: markup, password: PASSWORD });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().user.username).toBe(markup);
    const list = await call('GET', `/admin/users?q=${encodeURIComponent('<script>')}`);
    expect((list.json().users as UserJson[]).map((u) => u.username)).toEqual([markup]);
    const events = await call('GET', '/admin/events?type=user_created');
    expect(events.json().events[0].details.username).toBe(markup);
  });

  it('keeps an enabled admin when two admins demote or disable each other at once', async () => {
    const gina = await TestDevice.create(s);
    const ginaSession = await gina.login('gina', PASSWORD);
    expect((await call('PUT', `/admin/users/${ginaId}/role`, { role: 'admin' })).statusCode).toBe(200);
    const enabledAdmins = async () =>
      (
        await s.ctx.db
          .selectFrom('users')
          .select('id')
          .where('role', '=', 'admin')
          .where('disabled_at', 'is', null)
          .execute()
      ).length;
    // Both requests pass their admin check before either writes: their transactions wait for each other.
    const db = s.ctx.db as unknown as { transaction: () => { execute: (fn: unknown) => Promise<unknown> } };
    const transaction = db.transaction.bind(db);
    const atOnce = async <T>(requests: () => Promise<T>[]): Promise<T[]> => {
      let arrived = 0;
      let release: () => void = () => undefined;
      const all = new Promise<void>((resolve) => {
        release = resolve;
      });
      db.transaction = () => {
        const builder = transaction();
        return {
          execute: async (fn: unknown) => {
            arrived += 1;
            if (arrived === 2) release();
            await all;
            return builder.execute(fn);
          },
        };
      };
      try {
        return await Promise.all(requests());
      } finally {
        db.transaction = transaction;
      }
    };
    const demotions = await atOnce(() => [
      call('PUT', `/admin/users/${ginaId}/role`, { role: 'user' }),
      gina.call(ginaSession, 'PUT', `/admin/users/${adminSession.userId}/role`, { role: 'user' }),
    ]);
    expect(
      demotions.map((r) => (r.statusCode === 200 ? 200 : `${r.statusCode} ${r.json().code}`)).sort(),
    ).toEqual([200, '409 last_admin']);
    expect(await enabledAdmins()).toBe(1);

    // Both admins again (the one left promotes the other back), then each disables the other.
    const left = demotions[0]?.statusCode === 200 ? 'root' : 'gina';
    if (left === 'root') {
      expect((await call('PUT', `/admin/users/${ginaId}/role`, { role: 'admin' })).statusCode).toBe(200);
    } else {
      const back = await gina.call(ginaSession, 'PUT', `/admin/users/${adminSession.userId}/role`, {
        role: 'admin',
      });
      expect(back.statusCode).toBe(200);
    }
    const disables = await atOnce(() => [
      call('POST', `/admin/users/${ginaId}/disable`),
      gina.call(ginaSession, 'POST', `/admin/users/${adminSession.userId}/disable`),
    ]);
    expect(
      disables.map((r) => (r.statusCode === 200 ? 200 : `${r.statusCode} ${r.json().code}`)).sort(),
    ).toEqual([200, '409 last_admin']);
    expect(await enabledAdmins()).toBe(1);
  });

  it('changes roles (not its own), effective on the next request, and logs before and after', async () => {
    const gina = await TestDevice.create(s);
    const ginaSession = await gina.login('gina', PASSWORD);
    expect((await gina.call(ginaSession, 'GET', '/admin/users')).statusCode).toBe(403);
    const promote = await call('PUT', `/admin/users/${ginaId}/role`, { role: 'admin' });
    expect(promote.statusCode).toBe(200);
    expect(promote.json().user).toMatchObject({ id: ginaId, role: 'admin' });
    expect((await gina.call(ginaSession, 'GET', '/admin/users')).statusCode).toBe(200);

    const self = await call('PUT', `/admin/users/${adminSession.userId}/role`, { role: 'user' });
    expect([self.statusCode, self.json().code]).toEqual([409, 'cannot_change_own_role']);
    const selfByGina = await gina.call(ginaSession, 'PUT', `/admin/users/${ginaId}/role`, { role: 'user' });
    expect(selfByGina.json().code).toBe('cannot_change_own_role');
    const demote = await gina.call(ginaSession, 'PUT', `/admin/users/${adminSession.userId}/role`, {
      role: 'user',
    });
    expect(demote.json().user.role).toBe('user');
    expect((await call('GET', '/admin/users')).statusCode).toBe(403);

    const missing = await gina.call(ginaSession, 'PUT', '/admin/users/nobody/role', { role: 'user' });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'user_not_found']);
    for (const body of [{}, { role: 'root' }, { role: 'admin', x: 1 }, { role: ['admin'] }]) {
      const res = await gina.call(ginaSession, 'PUT', `/admin/users/${adminSession.userId}/role`, body);
      expect([res.statusCode, res.json().code]).toEqual([400, 'invalid_request']);
    }
    await s.ctx.events.flush();
    const changes = await s.ctx.events.list({ type: 'user_role_changed' });
    expect(changes.map((e) => [e.subject, e.data])).toEqual([
      [ginaId, { before: 'user', after: 'admin' }],
      [adminSession.userId, { before: 'admin', after: 'user' }],
    ]);
  });

  it('resets a password: one-time password, every session of the user ends, audited; not its own', async () => {
    const gina = await TestDevice.create(s);
    const ginaSession = await gina.login('gina', PASSWORD);
    const res = await call('POST', `/admin/users/${ginaId}/reset-password`);
    expect(res.statusCode).toBe(200);
    const { oneTimePassword, sessionsEnded } = res.json() as {
      oneTimePassword: string;
      sessionsEnded: number;
    };
    expect(sessionsEnded).toBe(1);
    expect((await gina.call(ginaSession, 'GET', '/me')).json().code).toBe('session_revoked');
    expect((await gina.refresh(ginaSession)).statusCode).toBe(401);
    const other = await TestDevice.create(s);
    expect((await other.loginRaw('gina', PASSWORD)).json().code).toBe('invalid_credentials');
    const fresh = await other.login('gina', oneTimePassword);
    expect(fresh.body.user).toMatchObject({ mustChangePassword: true });
    expect((await call('GET', `/admin/users/${ginaId}`)).json().user.mustChangePassword).toBe(true);

    const self = await call('POST', `/admin/users/${adminSession.userId}/reset-password`);
    expect([self.statusCode, self.json().code]).toEqual([409, 'cannot_reset_self']);
    const missing = await call('POST', '/admin/users/nobody/reset-password');
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'user_not_found']);

    const events = await call('GET', `/admin/events?type=password_reset&userId=${ginaId}`);
    expect(events.json().events).toHaveLength(1);
    expect(events.json().events[0]).toMatchObject({
      type: 'password_reset',
      userId: adminSession.userId,
      subject: ginaId,
      details: { sessionsEnded: 1 },
    });
    expect(events.body).not.toContain(oneTimePassword);
  });
});
