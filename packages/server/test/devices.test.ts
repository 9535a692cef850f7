/**
 * Devices on both dialects: the enrollment policy (allow, warn, refuse with stable codes), the
 * signed policy document, revocation (`device_revoked` on the revoked device only), wipe
 * receipts, device-id conflicts and disabling a user.
 */
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AuthOptions } from '../src/config.js';
import { compareVersions, evaluatePolicy } from '../src/devices/policy.js';
import { EVENT_WINDOW_SECONDS } from '../src/identity/throttle.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

const POLICY: AuthOptions = {
  devicePolicy: {
    rooted: 'refuse',
    emulator: 'warn',
    screenLockMissing: 'refuse',
    minAppVersion: '1.2.0',
    settings: { lockTimeoutSeconds: 60, failedUnlockLimit: 5, offlineGraceSeconds: 3 * 86_400 },
  },
};

it('compares versions numerically', () => {
  expect(compareVersions('1.10.0', '1.9.9')).toBe(1);
  expect(compareVersions('1.2', '1.2.0')).toBe(0);
  expect(compareVersions('1.2.0-beta', '1.2.1')).toBe(-1);
  const decision = evaluatePolicy(
    { allowedPlatforms: ['ios'] },
    { platform: 'android', appVersion: '1', posture: { rooted: false, screenLock: true, emulator: false } },
  );
  expect(decision.findings.map((f) => f.code)).toEqual(['platform_not_allowed']);
});

describeEachDialect('devices', (dialect) => {
  let s: TestServer;
  let adminDevice: TestDevice;
  let adminSession: Awaited<ReturnType<TestDevice['login']>>;

  beforeEach(async () => {
    s = await startTestServer(dialect, POLICY);
    await s.user('root', PASSWORD, 'admin');
    await s.user('frank', PASSWORD);
    adminDevice = await TestDevice.create(s);
    adminSession = await adminDevice.login('root', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  it('delivers the policy signed by a key of the JWKS, so the device can verify it', async () => {
    const device = await TestDevice.create(s);
    const session = await device.login('frank', PASSWORD);
    const policy = session.body.policy as {
      decision: string;
      signed: string;
      settings: Record<string, number>;
    };
    expect(policy.decision).toBe('allow');
    const jwks = (await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(JSON.stringify(jwks)).not.toMatch(/"d":/);
    const { payload } = await jwtVerify(policy.signed, createLocalJWKSet(jwks), {
      typ: 'bulwark-policy+jwt',
      issuer: 'bulwark',
      subject: device.id,
      currentDate: s.clock.now(),
    });
    expect(payload.settings).toEqual({
      lockTimeoutSeconds: 60,
      failedUnlockLimit: 5,
      offlineGraceSeconds: 259_200,
    });
    expect(payload.exp).toBe(Math.floor(s.clock.ms / 1000) + 259_200);
    // A relaxed copy does not verify.
    const [h, , sig] = policy.signed.split('.');
    const relaxed = Buffer.from(
      JSON.stringify({ ...payload, settings: { failedUnlockLimit: 1000 } }),
    ).toString('base64url');
    await expect(jwtVerify(`${h}.${relaxed}.${sig}`, createLocalJWKSet(jwks))).rejects.toThrow();
    // Access tokens verify against the same JWKS.
    await expect(
      jwtVerify(session.accessToken, createLocalJWKSet(jwks), { currentDate: s.clock.now() }),
    ).resolves.toBeTruthy();
  });

  it('refuses a rooted device with a stable code and records it as blocked', async () => {
    const device = await TestDevice.create(s);
    device.posture = { rooted: true, screenLock: false, emulator: false };
    const res = await device.loginRaw('frank', PASSWORD);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('device_policy_refused');
    expect(
      res
        .json()
        .issues.map((i: { code: string }) => i.code)
        .sort(),
    ).toEqual(['device_rooted', 'screen_lock_missing']);
    expect(res.json().accessToken).toBeUndefined();
    const row = await s.ctx.db
      .selectFrom('devices')
      .selectAll()
      .where('id', '=', device.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('blocked');
    expect(
      await s.ctx.db.selectFrom('sessions').selectAll().where('device_id', '=', device.id).execute(),
    ).toEqual([]);
    expect((await s.ctx.events.list({ type: 'device_policy_refused' })).length).toBe(1);
    // Fixed posture: the same device is let in.
    device.posture = { rooted: false, screenLock: true, emulator: false };
    expect((await device.loginRaw('frank', PASSWORD)).statusCode).toBe(200);
  });

  it('refuses an app older than the minimum version and warns on an emulator', async () => {
    const old = await TestDevice.create(s);
    old.appVersion = '1.1.9';
    const res = await old.loginRaw('frank', PASSWORD);
    expect(res.json().issues[0].code).toBe('app_version_too_old');
    const emu = await TestDevice.create(s);
    emu.posture = { rooted: false, screenLock: true, emulator: true };
    const session = await emu.login('frank', PASSWORD);
    expect(session.body.policy).toMatchObject({ decision: 'warn', findings: [{ code: 'device_emulator' }] });
  });

  it('re-checks the posture on refresh: a device that becomes rooted is blocked', async () => {
    const device = await TestDevice.create(s);
    const session = await device.login('frank', PASSWORD);
    const res = await device.refresh(session, {
      device: {
        osVersion: '14',
        appVersion: '1.4.0',
        posture: { rooted: true, screenLock: true, emulator: false },
      },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('device_policy_refused');
    const blocked = await device.call(session, 'GET', '/me');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('device_blocked');
    // The refresh token was not spent; once compliant the device is back.
    const ok = await device.refresh(session, {
      device: {
        osVersion: '14',
        appVersion: '1.4.0',
        posture: { rooted: false, screenLock: true, emulator: false },
      },
    });
    expect(ok.statusCode).toBe(200);
    expect((await device.call(session, 'GET', '/me')).statusCode).toBe(200);
  });

  it('cuts off a revoked device only: its tokens fail with device_revoked, other devices keep working', async () => {
    const phone = await TestDevice.create(s);
    const laptop = await TestDevice.create(s);
    const onPhone = await phone.login('frank', PASSWORD);
    const onLaptop = await laptop.login('frank', PASSWORD);
    const revoke = await adminDevice.call(adminSession, 'POST', `/admin/devices/${phone.id}/revoke`, {
      reason: 'stolen',
    });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json()).toMatchObject({ id: phone.id, status: 'revoked', revokedReason: 'stolen' });

    for (const res of [
      await phone.call(onPhone, 'GET', '/me'),
      await phone.refresh(onPhone),
      await phone.loginRaw('frank', PASSWORD),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('device_revoked');
    }
    expect((await laptop.call(onLaptop, 'GET', '/me')).statusCode).toBe(200);
    expect((await laptop.refresh(onLaptop)).statusCode).toBe(200);

    const devices = await adminDevice.call(adminSession, 'GET', `/admin/users/${onPhone.userId}/devices`);
    const list = devices.json().devices as Array<{
      id: string;
      status: string;
      posture: unknown;
      lastSeenAt: string;
    }>;
    expect(list.map((d) => [d.id, d.status]).sort()).toEqual(
      [
        [phone.id, 'revoked'],
        [laptop.id, 'active'],
      ].sort(),
    );
    expect(list[0]?.posture).toEqual({ rooted: false, screenLock: true, emulator: false });
    expect(list[0]?.lastSeenAt).toBe(s.clock.now().toISOString());
  });

  it('records a revoked device that keeps calling once a minute, every call still refused', async () => {
    const phone = await TestDevice.create(s);
    const onPhone = await phone.login('frank', PASSWORD);
    const revoke = await adminDevice.call(adminSession, 'POST', `/admin/devices/${phone.id}/revoke`, {
      reason: 'stolen',
    });
    expect(revoke.statusCode).toBe(200);
    const calls = async (n: number) => {
      for (let i = 0; i < n; i += 1) {
        const res = await phone.call(onPhone, 'GET', '/me');
        expect(res.statusCode).toBe(403);
        expect(res.json().code).toBe('device_revoked');
      }
    };
    const recorded = async () =>
      (await s.ctx.events.list({ type: 'device_revoked_access', limit: 1000 })).filter(
        (e) => e.actorDeviceId === phone.id,
      ).length;
    await calls(30);
    expect(await recorded()).toBe(1);
    s.clock.advance(EVENT_WINDOW_SECONDS);
    await calls(5);
    expect(await recorded()).toBe(2);
  });

  it('accepts a wipe receipt signed by the revoked device key only', async () => {
    const phone = await TestDevice.create(s);
    await phone.login('frank', PASSWORD);
    const receipt = (key = phone.privateKey, sub = phone.id, ageSeconds = 0) =>
      new SignJWT({ wipedAt: s.clock.now().toISOString() })
        .setProtectedHeader({ alg: 'ES256', typ: 'bulwark-wipe+jwt' })
        .setSubject(sub)
        .setIssuedAt(Math.floor(s.clock.ms / 1000) - ageSeconds)
        .sign(key);
    const post = async (jws: string) =>
      s.app.inject({ method: 'POST', url: '/devices/wipe-receipt', payload: { receipt: jws } });

    const early = await post(await receipt());
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('device_not_revoked');
    await adminDevice.call(adminSession, 'POST', `/admin/devices/${phone.id}/revoke`, { reason: 'lost' });

    const impostor = await TestDevice.create(s);
    const forged = await post(await receipt(impostor.privateKey));
    expect(forged.json().code).toBe('invalid_wipe_receipt');
    // A receipt for an id that was never enrolled gets the very answer of a forged one: the route
    // does not tell which device ids exist.
    const unknown = await post(await receipt(impostor.privateKey, impostor.id));
    expect({ status: unknown.statusCode, body: unknown.body }).toEqual({
      status: forged.statusCode,
      body: forged.body,
    });
    // Signed before the revocation (a tampered app could sign one before any wipe): proves nothing.
    const preSigned = await receipt(phone.privateKey, phone.id, 5 * 60);
    expect((await post(preSigned)).json().code).toBe('invalid_wipe_receipt');
    // Signed after it and delivered late (the device lost the network): accepted for 30 days.
    const late = await receipt();
    s.clock.advance(31 * 24 * 3600);
    expect((await post(late)).json().code).toBe('invalid_wipe_receipt');
    s.clock.advance(-2 * 24 * 3600);
    const ok = await post(late);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ deviceId: phone.id, status: 'wipe_confirmed' });
    const row = await s.ctx.db
      .selectFrom('devices')
      .selectAll()
      .where('id', '=', phone.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('wipe_confirmed');
    expect((await s.ctx.events.list({ type: 'device_wipe_confirmed' })).length).toBe(1);

    // The route takes no credentials: replaying the receipt, one after the other or many at once,
    // answers the same and changes nothing, not even the event log (one confirmation, one event).
    s.clock.advance(60);
    const replays = await Promise.all([post(late), post(late), post(late)]);
    expect(replays.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(replays[0]?.json()).toEqual({ deviceId: phone.id, status: 'wipe_confirmed' });
    await s.ctx.events.flush();
    expect((await s.ctx.events.list({ type: 'device_wipe_confirmed' })).length).toBe(1);
    const after = await s.ctx.db
      .selectFrom('devices')
      .selectAll()
      .where('id', '=', phone.id)
      .executeTakeFirstOrThrow();
    expect(after.wiped_at).toBe(row.wiped_at);
  });

  it('refuses to re-bind a device id to another account or key', async () => {
    const device = await TestDevice.create(s);
    await device.login('frank', PASSWORD);
    const res = await device.loginRaw('root', PASSWORD);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('device_conflict');
    const clone = await TestDevice.create(s);
    Object.defineProperty(clone, 'id', { value: device.id });
    expect((await clone.loginRaw('frank', PASSWORD)).json().code).toBe('device_conflict');
  });

  it('enrolls a new device that signs in twice at once (a double tap, a retry) without a false device_conflict', async () => {
    const { enrollDevice } = await import('../src/devices/registry.js');
    const device = await TestDevice.create(s);
    const userId = (
      await s.ctx.db
        .selectFrom('users')
        .select('id')
        .where('username', '=', 'frank')
        .executeTakeFirstOrThrow()
    ).id;
    const declaration = {
      id: device.id,
      platform: device.platform,
      osVersion: device.osVersion,
      appVersion: device.appVersion,
      posture: device.posture,
    };
    const input = {
      userId,
      jkt: device.jkt,
      publicJwk: device.publicJwk,
      declaration,
      decision: evaluatePolicy(POLICY.devicePolicy ?? {}, declaration),
    };
    // Both look for the id before either has written it; the second insert loses the race.
    const both = await Promise.all([
      enrollDevice(s.ctx.db, s.clock.ms, input),
      enrollDevice(s.ctx.db, s.clock.ms, input),
    ]);
    expect(both.map((r) => r.created).sort()).toEqual([false, true]);
    expect(both.map((r) => r.device.id)).toEqual([device.id, device.id]);
    // The same race by another account or key is still a conflict.
    const clone = await TestDevice.create(s);
    const stolen = { ...input, jkt: clone.jkt, publicJwk: clone.publicJwk };
    await expect(enrollDevice(s.ctx.db, s.clock.ms, stolen)).rejects.toMatchObject({
      code: 'device_conflict',
    });
  });

  it('disabling a user ends all their sessions at once and refuses sign-in', async () => {
    const a = await TestDevice.create(s);
    const b = await TestDevice.create(s);
    const onA = await a.login('frank', PASSWORD);
    const onB = await b.login('frank', PASSWORD);
    const res = await adminDevice.call(adminSession, 'POST', `/admin/users/${onA.userId}/disable`);
    expect(res.json()).toMatchObject({ disabled: true, sessionsEnded: 2 });
    for (const [d, sess] of [
      [a, onA],
      [b, onB],
    ] as const) {
      const call = await d.call(sess, 'GET', '/me');
      expect(call.statusCode).toBe(401);
      expect(call.json().code).toBe('account_disabled');
      expect((await d.refresh(sess)).json().code).toBe('account_disabled');
    }
    expect((await a.loginRaw('frank', PASSWORD)).json().code).toBe('account_disabled');
    expect((await a.loginRaw('frank', 'wrong-password-x')).json().code).toBe('invalid_credentials');
    await adminDevice.call(adminSession, 'POST', `/admin/users/${onA.userId}/enable`);
    expect((await a.loginRaw('frank', PASSWORD)).statusCode).toBe(200);
  });
});
