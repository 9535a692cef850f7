/**
 * Every admin route (enumerated from /openapi.json, so a new one is covered without a change here)
 * against callers who were admins a moment ago, on both dialects: an admin demoted by another, a
 * disabled admin, an admin whose device was revoked, an admin whose session predates a password
 * reset, and the same admin signed in again with the one-time password but not yet past the
 * forced change. Each is refused on its very next request with one stable problem code, whatever
 * body it sends (a body that asks for more — role, disabled, teams — included), and nothing
 * changes. admin.test.ts covers a plain user and an anonymous caller.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, type Session, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

describeEachDialect('admin routes refuse callers who are no longer admins', (dialect) => {
  let s: TestServer;
  let root: TestDevice;
  let rootSession: Session;
  let victimId: string;
  let victim: TestDevice;
  let victimSession: Session;

  beforeEach(async () => {
    s = await startTestServer(dialect);
    await s.user('root', PASSWORD, 'admin');
    await s.user('ivy', PASSWORD, 'admin');
    await s.user('gina', PASSWORD);
    root = await TestDevice.create(s);
    rootSession = await root.login('root', PASSWORD);
    victim = await TestDevice.create(s);
    victimSession = await victim.login('ivy', PASSWORD);
    victimId = victimSession.userId;
    // Ivy is an admin until each test takes it away: her session works on an admin route.
    expect((await victim.call(victimSession, 'GET', '/admin/users')).statusCode).toBe(200);
  });
  afterEach(async () => {
    await s.close();
  });

  /** Every admin operation, with ids of real objects filled in and a body that asks for much. */
  async function adminOperations(): Promise<Array<{ method: Method; path: string; body?: unknown }>> {
    const spec = (await s.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const gina = (await root.call(rootSession, 'GET', '/admin/users?q=gina')).json().users[0].id as string;
    const greedy = {
      role: 'admin',
      disabled: false,
      teams: ['ops'],
      reason: 'admin',
      username: 'mallory',
      password: 'mallory-password-of-length',
      policy: {
        rooted: 'allow',
        emulator: 'allow',
        screenLockMissing: 'allow',
        appVersionTooOld: 'allow',
        settings: { lockTimeoutSeconds: 86_400, failedUnlockLimit: 100, offlineGraceSeconds: 31_536_000 },
      },
    };
    const operations: Array<{ method: Method; path: string; body?: unknown }> = [];
    for (const [template, ops] of Object.entries(spec.paths)) {
      if (!template.startsWith('/admin')) continue;
      for (const method of Object.keys(ops)) {
        const path = template
          .replace('{userId}', gina)
          .replace('{deviceId}', root.id)
          .replace(/\{[^}]+\}/g, 'x');
        const upper = method.toUpperCase() as Method;
        operations.push({ method: upper, path, ...(upper === 'GET' ? {} : { body: greedy }) });
      }
    }
    expect(operations.length).toBeGreaterThanOrEqual(18);
    return operations;
  }

  const snapshot = async () =>
    JSON.stringify({
      users: await s.ctx.db.selectFrom('users').selectAll().orderBy('id').execute(),
      devices: await s.ctx.db.selectFrom('devices').select(['id', 'status']).orderBy('id').execute(),
      sessions: await s.ctx.db.selectFrom('sessions').select(['id', 'revoked_at']).orderBy('id').execute(),
      keys: await s.ctx.db.selectFrom('server_keys').select(['kid', 'retired_at']).orderBy('kid').execute(),
      teams: await s.ctx.db.selectFrom('user_teams').selectAll().orderBy('user_id').orderBy('team').execute(),
      policy: await s.ctx.db.selectFrom('device_policy').selectAll().execute(),
    });

  /** Every admin operation by `session` of `device` answers `status` and `code`; nothing changes. */
  async function expectRefusedEverywhere(device: TestDevice, session: Session, status: number, code: string) {
    const operations = await adminOperations();
    const before = await snapshot();
    for (const { method, path, body } of operations) {
      const res = await device.call(session, method, path, body);
      expect({ route: `${method} ${path}`, status: res.statusCode, code: res.json().code }).toEqual({
        route: `${method} ${path}`,
        status,
        code,
      });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await snapshot()).toBe(before);
  }

  it('an admin demoted by another admin: 403 forbidden on the next request', async () => {
    const res = await root.call(rootSession, 'PUT', `/admin/users/${victimId}/role`, { role: 'user' });
    expect(res.statusCode).toBe(200);
    await expectRefusedEverywhere(victim, victimSession, 403, 'forbidden');
  });

  it('a disabled admin: 401 account_disabled', async () => {
    expect((await root.call(rootSession, 'POST', `/admin/users/${victimId}/disable`)).statusCode).toBe(200);
    await expectRefusedEverywhere(victim, victimSession, 401, 'account_disabled');
    // Enabled again, the old session stays ended: disabling ended it.
    expect((await root.call(rootSession, 'POST', `/admin/users/${victimId}/enable`)).statusCode).toBe(200);
    await expectRefusedEverywhere(victim, victimSession, 401, 'session_revoked');
  });

  it("an admin's revoked device: 403 device_revoked, also after signing in again on it", async () => {
    const res = await root.call(rootSession, 'POST', `/admin/devices/${victim.id}/revoke`, {
      reason: 'stolen',
    });
    expect(res.statusCode).toBe(200);
    await expectRefusedEverywhere(victim, victimSession, 403, 'device_revoked');
    const again = await victim.loginRaw('ivy', PASSWORD);
    expect([again.statusCode, again.json().code]).toEqual([403, 'device_revoked']);
  });

  it('a session from before a password reset: 401 session_revoked; the one-time password gets no admin route', async () => {
    const res = await root.call(rootSession, 'POST', `/admin/users/${victimId}/reset-password`);
    expect(res.statusCode).toBe(200);
    const oneTime = res.json().oneTimePassword as string;
    await expectRefusedEverywhere(victim, victimSession, 401, 'session_revoked');
    const fresh = await victim.login('ivy', oneTime);
    await expectRefusedEverywhere(victim, fresh, 403, 'password_change_required');
  });
});
