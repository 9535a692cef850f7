/**
 * Admin routes on both dialects: every admin route (enumerated from the OpenAPI document, so a
 * new one cannot be forgotten) refuses a non-admin with 403 and an anonymous caller with 401,
 * changing nothing; the admin flows work and are audited.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, type Session, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

describeEachDialect('admin', (dialect) => {
  let s: TestServer;
  let admin: TestDevice;
  let adminSession: Session;
  let user: TestDevice;
  let userSession: Session;

  beforeEach(async () => {
    s = await startTestServer(dialect);
    await s.user('root', PASSWORD, 'admin');
    await s.user('gina', PASSWORD);
    admin = await TestDevice.create(s);
    adminSession = await admin.login('root', PASSWORD);
    user = await TestDevice.create(s);
    userSession = await user.login('gina', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  async function adminRoutes(): Promise<Array<{ method: 'GET' | 'POST' | 'PUT'; path: string }>> {
    const spec = (await s.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes: Array<{ method: 'GET' | 'POST' | 'PUT'; path: string }> = [];
    for (const [path, ops] of Object.entries(spec.paths)) {
      if (!path.startsWith('/admin')) continue;
      for (const method of Object.keys(ops)) {
        routes.push({
          method: method.toUpperCase() as 'GET' | 'POST' | 'PUT',
          path: path.replace('{userId}', adminSession.userId).replace('{deviceId}', admin.id),
        });
      }
    }
    return routes;
  }

  const snapshot = async () =>
    JSON.stringify({
      users: await s.ctx.db.selectFrom('users').selectAll().orderBy('id').execute(),
      devices: await s.ctx.db.selectFrom('devices').selectAll().orderBy('id').execute(),
      sessions: await s.ctx.db.selectFrom('sessions').select(['id', 'revoked_at']).orderBy('id').execute(),
      keys: await s.ctx.db.selectFrom('server_keys').select(['kid', 'retired_at']).orderBy('kid').execute(),
      teams: await s.ctx.db.selectFrom('user_teams').selectAll().orderBy('user_id').orderBy('team').execute(),
      policy: await s.ctx.db.selectFrom('device_policy').selectAll().execute(),
    });

  it('refuses every admin route to a non-admin (403) and to an anonymous caller (401), changing nothing', async () => {
    const routes = await adminRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(18);
    const before = await snapshot();
    const bodies: Record<string, unknown> = {
      'POST /admin/users': { username: 'mallory', password: 'mallory-password-1', role: 'admin' },
      [`POST /admin/devices/${admin.id}/revoke`]: { reason: 'admin' },
      [`PUT /admin/users/${adminSession.userId}/role`]: { role: 'user' },
      [`PUT /admin/users/${adminSession.userId}/teams`]: { teams: ['mallory'] },
      'PUT /admin/policy': {
        policy: {
          rooted: 'allow',
          emulator: 'allow',
          screenLockMissing: 'allow',
          appVersionTooOld: 'allow',
          settings: { lockTimeoutSeconds: 86_400, failedUnlockLimit: 100, offlineGraceSeconds: 31_536_000 },
        },
      },
    };
    for (const { method, path } of routes) {
      const body = bodies[`${method} ${path}`];
      const res = await user.call(userSession, method, path, body);
      expect({ route: `${method} ${path}`, status: res.statusCode, code: res.json().code }).toEqual({
        route: `${method} ${path}`,
        status: 403,
        code: 'forbidden',
      });
      const anon = await s.app.inject({
        method,
        url: path,
        ...(body === undefined ? {} : { payload: body as object }),
      });
      expect(anon.statusCode).toBe(401);
    }
    expect(await snapshot()).toBe(before);
  });

  it('documents the console API in /openapi.json: every route and the fields of each shape', async () => {
    const spec = (await s.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: never }> }> }>
      >;
    };
    const ops = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(ops).toEqual(
      expect.arrayContaining([
        'GET /admin/users',
        'POST /admin/users',
        'GET /admin/users/{userId}',
        'PUT /admin/users/{userId}/role',
        'POST /admin/users/{userId}/reset-password',
        'POST /admin/users/{userId}/disable',
        'POST /admin/users/{userId}/enable',
        'PUT /admin/users/{userId}/teams',
        'GET /admin/users/{userId}/devices',
        'GET /admin/devices',
        'POST /admin/devices/{deviceId}/revoke',
        'GET /admin/events',
        'GET /admin/events/verify',
        'GET /admin/policy',
        'PUT /admin/policy',
        'GET /admin/keys',
        'POST /admin/keys/rotate',
      ]),
    );
    const props = (path: string, method: string, list: string) => {
      const schema = spec.paths[path]?.[method]?.responses['200']?.content?.['application/json']
        ?.schema as unknown as {
        properties: Record<string, { items: { properties: Record<string, unknown> } }>;
      };
      return Object.keys(schema.properties[list]?.items.properties ?? {}).sort();
    };
    expect(props('/admin/users', 'get', 'users')).toEqual(
      [
        'createdAt',
        'deviceCount',
        'disabled',
        'id',
        'lastSeenAt',
        'mustChangePassword',
        'role',
        'teams',
        'username',
      ].sort(),
    );
    expect(props('/admin/devices', 'get', 'devices')).toEqual(
      [
        'appVersion',
        'enrolledAt',
        'id',
        'lastDecision',
        'lastSeenAt',
        'name',
        'osVersion',
        'platform',
        'posture',
        'revokedAt',
        'revokedReason',
        'status',
        'userId',
        'username',
        'wipeConfirmedAt',
      ].sort(),
    );
    expect(props('/admin/events', 'get', 'events')).toEqual(
      ['at', 'details', 'deviceId', 'hash', 'ip', 'seq', 'subject', 'type', 'userId'].sort(),
    );
    expect(props('/admin/keys', 'get', 'keys')).toEqual(
      ['alg', 'createdAt', 'kid', 'published', 'retiredAt', 'status'].sort(),
    );
  });

  it('refuses NUL and other control characters in ids, searches and cursors with 400 (PostgreSQL cannot hold them)', async () => {
    const nulCursor = Buffer.from(JSON.stringify({ k: 'users', v: [1, 'a\u0000'] })).toString('base64url');
    for (const [method, path, code] of [
      ['GET', '/admin/users?q=%00', 'invalid_request'],
      ['GET', '/admin/users?q=a%1Fb', 'invalid_request'],
      ['GET', '/admin/devices?q=a%00', 'invalid_request'],
      ['GET', '/admin/devices?userId=%00', 'invalid_request'],
      ['GET', '/admin/events?userId=%00', 'invalid_request'],
      ['GET', '/admin/events?deviceId=a%00', 'invalid_request'],
      ['GET', '/admin/users/%00', 'invalid_request'],
      ['GET', '/admin/users/a%00b/devices', 'invalid_request'],

      ['POST', '/admin/users/a%00b/disable', 'invalid_request'],
      ['POST', '/admin/users/a%00b/reset-password', 'invalid_request'],
      ['GET', `/admin/users?cursor=${nulCursor}`, 'invalid_cursor'],
    ] as const) {
      const res = await admin.call(adminSession, method, path);
      expect([path, res.statusCode, res.json().code]).toEqual([path, 400, code]);
    }
    // The team routes check ids in code (their bodies bypass the schema validator): not found.
    const teams = await admin.call(adminSession, 'GET', '/admin/users/a%00b/teams');
    expect([teams.statusCode, teams.json().code]).toEqual([404, 'user_not_found']);
    const revoke = await admin.call(adminSession, 'POST', '/admin/devices/%00/revoke', { reason: 'lost' });
    expect([revoke.statusCode, revoke.json().code]).toEqual([400, 'invalid_request']);
    // The user-facing names of the harness still work.
    expect((await admin.call(adminSession, 'GET', '/admin/users?q=r%C3%B6%20%25')).statusCode).toBe(200);
  });

  it('answers any query string of the lists with 200 or a 4xx problem, never a 500', async () => {
    const key = fc.constantFrom(
      'q',
      'role',
      'disabled',
      'limit',
      'cursor',
      'userId',
      'deviceId',
      'status',
      'type',
      'since',
      'until',
      'afterSeq',
      'x',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom(
        'admin',
        'true',
        '-1',
        '0',
        '201',
        '1e3',
        '2030-01-15T09:00:00Z',
        'login_failed,x',
        '%',
        '_',
      ),
      fc.nat().map(String),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/admin/users', '/admin/devices', '/admin/events'),
        fc.array(fc.tuple(key, value), { maxLength: 4 }),
        async (path, params) => {
          const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          const res = await admin.call(adminSession, 'GET', `${path}?${query}`);
          expect(res.statusCode, `${path}?${query}`).toBeLessThan(500);
          if (res.statusCode >= 400) {
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
            expect(typeof res.json().code).toBe('string');
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('lets an admin create users (rules applied), list them, and read the audit log', async () => {
    const weak = await admin.call(adminSession, 'POST', '/admin/users', {
      username: 'hal',
      password: 'letmein1',
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().code).toBe('password_rejected');
    const created = await admin.call(adminSession, 'POST', '/admin/users', {
      username: 'hal',
      password: 'open-the-pod-bay-doors',
    });
    expect(created.statusCode).toBe(201);
    const dup = await admin.call(adminSession, 'POST', '/admin/users', {
      username: 'HAL',
      password: 'x-another-one-9',
    });
    expect(dup.json().code).toBe('user_exists');
    const list = await admin.call(adminSession, 'GET', '/admin/users');
    expect(
      list
        .json()
        .users.map((u: { username: string }) => u.username)
        .sort(),
    ).toEqual(['gina', 'hal', 'root']);
    expect(list.body).not.toContain('password');

    const events = await admin.call(adminSession, 'GET', '/admin/events?limit=1000');
    const types = events.json().events.map((e: { type: string }) => e.type);
    expect(types).toContain('user_created');
    const page = await admin.call(adminSession, 'GET', '/admin/events?afterSeq=1&limit=2');
    expect(page.json().events.map((e: { seq: number }) => e.seq)).toEqual([2, 3]);
    expect(events.body).not.toContain('open-the-pod-bay-doors');
  });

  it('refuses unknown ids with 404 and bad input with 400, never 500', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await admin.call(adminSession, 'POST', `/admin/users/${missing}/disable`)).json().code).toBe(
      'user_not_found',
    );
    expect((await admin.call(adminSession, 'GET', `/admin/users/${missing}/devices`)).json().code).toBe(
      'user_not_found',
    );
    const revoke = await admin.call(adminSession, 'POST', `/admin/devices/${missing}/revoke`, {
      reason: 'lost',
    });
    expect(revoke.json().code).toBe('device_not_found');
    const badReason = await admin.call(adminSession, 'POST', `/admin/devices/${user.id}/revoke`, {
      reason: 'bored',
    });
    expect(badReason.statusCode).toBe(400);
    expect(badReason.json().code).toBe('invalid_request');
    const self = await admin.call(adminSession, 'POST', `/admin/users/${adminSession.userId}/disable`);
    expect(self.json().code).toBe('cannot_disable_self');
  });

  it('rotates the signing key: old tokens keep verifying, new ones use the new kid', async () => {
    const before = (await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys.length;
    const res = await admin.call(adminSession, 'POST', '/admin/keys/rotate');
    const { kid } = res.json() as { kid: string };
    const jwks = (await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys.length).toBe(before + 1);
    expect((await user.call(userSession, 'GET', '/me')).statusCode).toBe(200);
    await user.refresh(userSession);
    const header = JSON.parse(
      Buffer.from(userSession.accessToken.split('.')[0] ?? '', 'base64url').toString(),
    );
    expect(header.kid).toBe(kid);
    expect((await user.call(userSession, 'GET', '/me')).statusCode).toBe(200);
  });
});
