/**
 * The device policy admins edit, on both dialects: the configured policy until one is saved;
 * validation of every field (nothing stored on a refusal); a change reaching a device's signed
 * policy on its next refresh, and refusing it there when it no longer complies; the
 * `policy_changed` event with before and after; a second node on the same database applying the
 * change once its short cache expires.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createServerContext } from '../src/context.js';
import { POLICY_CACHE_MS } from '../src/devices/policy-store.js';
import { describeEachDialect } from './lib/databases.js';
import {
  PASSWORD,
  type Session,
  startTestServer,
  TEST_AUTH,
  TestDevice,
  type TestServer,
  testServerOf,
} from './lib/harness.js';

const CONFIGURED = {
  rooted: 'refuse',
  emulator: 'warn',
  screenLockMissing: 'warn',
  minAppVersion: '1.2.0',
  settings: { lockTimeoutSeconds: 60, failedUnlockLimit: 5, offlineGraceSeconds: 86_400 },
} as const;

const policy = (overrides: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) => ({
  rooted: 'refuse',
  emulator: 'allow',
  screenLockMissing: 'refuse',
  appVersionTooOld: 'refuse',
  minAppVersion: '1.2.0',
  ...overrides,
  settings: { lockTimeoutSeconds: 30, failedUnlockLimit: 3, offlineGraceSeconds: 3_600, ...settings },
});

describeEachDialect('admin device policy', (dialect) => {
  let s: TestServer;
  let admin: TestDevice;
  let adminSession: Session;

  beforeEach(async () => {
    s = await startTestServer(dialect, { devicePolicy: CONFIGURED });
    await s.user('root', PASSWORD, 'admin');
    await s.user('gina', PASSWORD);
    admin = await TestDevice.create(s);
    adminSession = await admin.login('root', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  const signedSettings = async (session: Session) => {
    const jwks = (await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const signed = (session.body.policy as { signed: string }).signed;
    const { payload } = await jwtVerify(signed, createLocalJWKSet(jwks), {
      typ: 'bulwark-policy+jwt',
      currentDate: s.clock.now(),
    });
    return payload.settings;
  };

  it('starts from the configured policy, with every default filled in', async () => {
    const res = await admin.call(adminSession, 'GET', '/admin/policy');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      policy: { ...CONFIGURED, appVersionTooOld: 'refuse' },
    });
  });

  it('applies a saved policy to each device on its next refresh, signed, and logs before and after', async () => {
    const phone = await TestDevice.create(s);
    const session = await phone.login('gina', PASSWORD);
    expect(await signedSettings(session)).toEqual(CONFIGURED.settings);

    s.clock.advance(5);
    const saved = await admin.call(adminSession, 'PUT', '/admin/policy', { policy: policy() });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toEqual({
      policy: policy(),
      updatedAt: s.clock.now().toISOString(),
      updatedBy: adminSession.userId,
    });
    expect((await admin.call(adminSession, 'GET', '/admin/policy')).json()).toEqual(saved.json());

    // The device still holds the old signed policy until it refreshes.
    expect(await signedSettings(session)).toEqual(CONFIGURED.settings);
    expect((await phone.refresh(session)).statusCode).toBe(200);
    expect(await signedSettings(session)).toEqual({
      lockTimeoutSeconds: 30,
      failedUnlockLimit: 3,
      offlineGraceSeconds: 3_600,
    });
    expect(session.body.policy).toMatchObject({ settings: { lockTimeoutSeconds: 30 } });

    await s.ctx.events.flush();
    const events = await admin.call(adminSession, 'GET', '/admin/events?type=policy_changed');
    expect(events.json().events).toHaveLength(1);
    expect(events.json().events[0]).toMatchObject({
      userId: adminSession.userId,
      details: { before: { ...CONFIGURED, appVersionTooOld: 'refuse' }, after: policy() },
    });
  });

  it('refuses a device on refresh once a raised minimum version or a stricter rule excludes it', async () => {
    const phone = await TestDevice.create(s);
    phone.posture = { rooted: false, screenLock: false, emulator: false };
    const session = await phone.login('gina', PASSWORD);
    expect((session.body.policy as { decision: string }).decision).toBe('warn');

    await admin.call(adminSession, 'PUT', '/admin/policy', { policy: policy({ minAppVersion: '2.0' }) });
    const refused = await phone.refresh(session);
    expect([refused.statusCode, refused.json().code]).toEqual([403, 'device_policy_refused']);
    expect(refused.json().issues.map((i: { code: string }) => i.code)).toEqual([
      'screen_lock_missing',
      'app_version_too_old',
    ]);
    // Without a minimum version (null clears it) and with screen locks only warned, it passes again.
    const relaxed = await admin.call(adminSession, 'PUT', '/admin/policy', {
      policy: policy({ minAppVersion: null, screenLockMissing: 'warn' }),
    });
    expect(relaxed.json().policy.minAppVersion).toBeUndefined();
    expect((await phone.refresh(session)).statusCode).toBe(200);
    const device = (await admin.call(adminSession, 'GET', `/admin/devices?userId=${session.userId}`)).json()
      .devices[0];
    expect(device).toMatchObject({ status: 'active', lastDecision: { decision: 'warn' } });
  });

  it('validates every field and stores nothing from a refused change', async () => {
    const cases: unknown[] = [
      {},
      { policy: policy(), extra: true },
      { policy: policy({ rooted: 'block' }) },
      { policy: policy({ emulator: undefined }) },
      { policy: policy({ allowedPlatforms: ['ios'] }) },
      { policy: policy({ minAppVersion: 'v2' }) },
      { policy: policy({ minAppVersion: '2.0.0-beta' }) },
      { policy: policy({ minAppVersion: '1.2.3.4.5' }) },
      { policy: policy({ minAppVersion: '' }) },
      { policy: policy({ minAppVersion: 2 }) },
      { policy: policy({}, { lockTimeoutSeconds: -1 }) },
      { policy: policy({}, { lockTimeoutSeconds: 86_401 }) },
      { policy: policy({}, { lockTimeoutSeconds: 1.5 }) },
      { policy: policy({}, { lockTimeoutSeconds: '30' }) },
      { policy: policy({}, { failedUnlockLimit: 0 }) },
      { policy: policy({}, { failedUnlockLimit: 101 }) },
      { policy: policy({}, { offlineGraceSeconds: 299 }) },
      { policy: policy({}, { offlineGraceSeconds: 365 * 86_400 + 1 }) },
      { policy: policy({}, { offlineGraceSeconds: undefined }) },
      { policy: policy({}, { wipeAfter: 1 }) },
    ];
    for (const body of cases) {
      const res = await admin.call(adminSession, 'PUT', '/admin/policy', body);
      expect([JSON.stringify(body), res.statusCode, res.json().code]).toEqual([
        JSON.stringify(body),
        400,
        'invalid_request',
      ]);
    }
    expect(await s.ctx.db.selectFrom('device_policy').selectAll().execute()).toEqual([]);
    const bounds = await admin.call(adminSession, 'PUT', '/admin/policy', {
      policy: policy({ minAppVersion: '10.0.0.1' }, { lockTimeoutSeconds: 0, failedUnlockLimit: 100 }),
    });
    expect(bounds.statusCode).toBe(200);
  });

  it('chains before and after when admins save at the same time (PostgreSQL row lock)', async () => {
    const store = s.ctx.devicePolicy;
    await store.save(policy() as never, adminSession.userId);
    const saves = await Promise.all(
      [11, 22, 33, 44].map((t) =>
        store.save(policy({}, { lockTimeoutSeconds: t }) as never, adminSession.userId),
      ),
    );
    // Each save replaced exactly one other: the befores are the first policy and three of the afters.
    const befores = saves.map((r) => r.before.policy.settings.lockTimeoutSeconds).sort();
    const afters = saves.map((r) => r.after.policy.settings.lockTimeoutSeconds);
    expect(new Set(befores).size).toBe(4);
    expect(befores.filter((b) => b !== 30).every((b) => afters.includes(b))).toBe(true);
    expect(befores).toContain(30);
  });

  it('reaches another node on the same database once its cache expires', async () => {
    const ctx2 = await createServerContext({
      db: s.database.db,
      cache: s.database.cache,
      now: s.clock.now,
      auth: { ...TEST_AUTH, devicePolicy: CONFIGURED },
    });
    const app2 = await buildApp({ db: s.database.db, context: ctx2, logger: false });
    await app2.ready();
    try {
      const node2 = testServerOf(app2, ctx2, s.database, s.clock);
      const phone = await TestDevice.create(node2);
      const session = await phone.login('gina', PASSWORD);
      await admin.call(adminSession, 'PUT', '/admin/policy', { policy: policy() });
      s.clock.advance(POLICY_CACHE_MS / 1000 + 1);
      expect((await phone.refresh(session)).statusCode).toBe(200);
      expect(await signedSettings(session)).toMatchObject({ lockTimeoutSeconds: 30 });
    } finally {
      await app2.close();
      await ctx2.events.flush();
    }
  });
});
