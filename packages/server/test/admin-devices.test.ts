/**
 * The console's device routes on both dialects: every device across users with its owner,
 * posture, versions, state and last policy decision; filters and cursor pages; revocation with a
 * reason and note, then the state turning to wipe_confirmed when the device reports back;
 * refusals by policy visible as events with what the device reported; device-supplied text
 * (name, versions) returned verbatim and limited at input.
 */
import { SignJWT } from 'jose';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, type Session, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

interface DeviceJson {
  id: string;
  userId: string;
  username: string;
  name?: string;
  platform: string;
  osVersion: string;
  appVersion: string;
  posture: { rooted: boolean; screenLock: boolean; emulator: boolean };
  status: string;
  revokedAt?: string;
  revokedReason?: string;
  wipeConfirmedAt?: string;
  enrolledAt: string;
  lastSeenAt: string;
  lastDecision: { decision: string; findings: Array<{ code: string; action: string; message: string }> };
}

describeEachDialect('admin devices', (dialect) => {
  let s: TestServer;
  let admin: TestDevice;
  let adminSession: Session;
  let ginaId: string;
  let hankId: string;

  beforeEach(async () => {
    s = await startTestServer(dialect, {
      devicePolicy: { rooted: 'refuse', emulator: 'warn', minAppVersion: '1.2.0' },
    });
    await s.user('root', PASSWORD, 'admin');
    ginaId = await s.user('gina', PASSWORD);
    hankId = await s.user('hank', PASSWORD);
    admin = await TestDevice.create(s);
    adminSession = await admin.login('root', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    admin.call(adminSession, method, path, body);
  const list = async (query = '') => {
    const res = await call('GET', `/admin/devices${query}`);
    expect(res.statusCode).toBe(200);
    return res.json() as { devices: DeviceJson[]; nextCursor?: string };
  };

  it('answers a device row damaged in the database as a fault of the server, not as invalid JSON sent by the client', async () => {
    const phone = await TestDevice.create(s);
    await phone.login('gina', PASSWORD);
    await s.ctx.db
      .updateTable('devices')
      .set({ posture: '{"rooted": fal' })
      .where('id', '=', phone.id)
      .execute();
    const res = await call('GET', '/admin/devices');
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 500, code: 'internal_error' });
    expect(res.body).not.toContain('SyntaxError');
  });

  it('lists every device with owner, versions, posture, state and last decision; filters by user, status and text', async () => {
    const phone = await TestDevice.create(s);
    phone.name = "Gina's phone";
    phone.posture = { rooted: false, screenLock: true, emulator: true };
    s.clock.advance(1);
    await phone.login('gina', PASSWORD);
    s.clock.advance(60);
    const tablet = await TestDevice.create(s);
    tablet.platform = 'ios';
    tablet.osVersion = '17.4';
    tablet.appVersion = '1.1.0';
    expect((await tablet.loginRaw('hank', PASSWORD)).json().code).toBe('device_policy_refused');

    const all = await list();
    expect(all.devices.map((d) => d.id)).toEqual([tablet.id, phone.id, admin.id]);
    const [t, p] = all.devices;
    expect(p).toEqual({
      id: phone.id,
      userId: ginaId,
      username: 'gina',
      name: "Gina's phone",
      platform: 'android',
      osVersion: '14',
      appVersion: '1.4.0',
      posture: { rooted: false, screenLock: true, emulator: true },
      status: 'active',
      enrolledAt: new Date(s.clock.ms - 60_000).toISOString(),
      lastSeenAt: new Date(s.clock.ms - 60_000).toISOString(),
      lastDecision: {
        decision: 'warn',
        findings: [{ code: 'device_emulator', action: 'warn', message: 'The app runs in an emulator.' }],
      },
    });
    expect(t).toMatchObject({
      username: 'hank',
      platform: 'ios',
      osVersion: '17.4',
      appVersion: '1.1.0',
      status: 'blocked',
      lastDecision: { decision: 'refuse', findings: [{ code: 'app_version_too_old', action: 'refuse' }] },
    });
    expect(t?.name).toBeUndefined();
    expect(t?.revokedAt).toBeUndefined();
    expect(JSON.stringify(all)).not.toMatch(/jkt|public_jwk|"x":/);

    const ids = async (query: string) => (await list(query)).devices.map((d) => d.id);
    expect(await ids(`?userId=${ginaId}`)).toEqual([phone.id]);
    expect(await ids(`?userId=${hankId}&status=blocked`)).toEqual([tablet.id]);
    expect(await ids('?status=active')).toEqual([phone.id, admin.id]);
    expect(await ids('?status=revoked')).toEqual([]);
    expect(await ids('?q=GINA')).toEqual([phone.id]);
    expect(await ids(`?q=${encodeURIComponent("'s PH")}`)).toEqual([phone.id]);
    expect(await ids(`?q=${tablet.id.slice(4, 12)}`)).toEqual([tablet.id]);
    expect(await ids('?q=%25')).toEqual([]);
    expect(await ids('?userId=nobody')).toEqual([]);
    // The per-user route answers in the same shape.
    const perUser = await call('GET', `/admin/users/${ginaId}/devices`);
    expect(perUser.json().devices).toEqual([p]);

    for (const bad of [
      'status=lost',
      'limit=0',
      'limit=201',
      `userId=${'u'.repeat(65)}`,
      `q=${'q'.repeat(201)}`,
      'x=1',
    ]) {
      const res = await call('GET', `/admin/devices?${bad}`);
      expect([bad, res.statusCode, res.json().code]).toEqual([bad, 400, 'invalid_request']);
    }
    const badCursor = await call('GET', '/admin/devices?cursor=eyJrIjoiZGV2aWNlcyJ9');
    expect([badCursor.statusCode, badCursor.json().code]).toEqual([400, 'invalid_cursor']);
  });

  it('pages devices with a cursor: every device once', async () => {
    for (let i = 0; i < 4; i += 1) {
      const d = await TestDevice.create(s);
      await d.login(i % 2 === 0 ? 'gina' : 'hank', PASSWORD);
      if (i < 2) s.clock.advance(1);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(`?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      seen.push(...page.devices.map((d) => d.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual((await list('?limit=200')).devices.map((d) => d.id));
    expect(new Set(seen).size).toBe(5);
  });

  it('revokes with a reason, then shows wipe_confirmed once the device reports its wipe', async () => {
    const phone = await TestDevice.create(s);
    const session = await phone.login('gina', PASSWORD);
    const revoke = await call('POST', `/admin/devices/${phone.id.toUpperCase()}/revoke`, {
      reason: 'stolen',
      note: 'ticket <b>#42</b>',
    });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json()).toMatchObject({
      id: phone.id,
      username: 'gina',
      status: 'revoked',
      revokedReason: 'stolen',
      revokedAt: s.clock.now().toISOString(),
    });
    expect(revoke.json().wipeConfirmedAt).toBeUndefined();
    const again = await call('POST', `/admin/devices/${phone.id}/revoke`, { reason: 'lost' });
    expect([again.statusCode, again.json().code]).toEqual([409, 'device_already_revoked']);
    for (const body of [
      {},
      { reason: 'bored' },
      { reason: 'lost', note: 'n'.repeat(501) },
      { reason: 'lost', x: 1 },
    ]) {
      const res = await call('POST', `/admin/devices/${phone.id}/revoke`, body);
      expect([res.statusCode, res.json().code]).toEqual([400, 'invalid_request']);
    }

    expect((await phone.call(session, 'GET', '/me')).json().code).toBe('device_revoked');
    s.clock.advance(5);
    const receipt = await new SignJWT({ wipedAt: s.clock.now().toISOString() })
      .setProtectedHeader({ alg: 'ES256', typ: 'bulwark-wipe+jwt' })
      .setSubject(phone.id)
      .setIssuedAt(Math.floor(s.clock.ms / 1000))
      .sign(phone.privateKey);
    const posted = await s.app.inject({ method: 'POST', url: '/devices/wipe-receipt', payload: { receipt } });
    expect(posted.statusCode).toBe(200);

    const wiped = await list('?status=wipe_confirmed');
    expect(wiped.devices.map((d) => [d.id, d.status, d.revokedReason, d.wipeConfirmedAt])).toEqual([
      [phone.id, 'wipe_confirmed', 'stolen', s.clock.now().toISOString()],
    ]);
    const events = await call('GET', `/admin/events?deviceId=${phone.id}`);
    expect(events.json().events.map((e: { type: string }) => e.type)).toEqual([
      'device_wipe_confirmed',
      'device_revoked_access',
      'device_revoked',
      'login_succeeded',
      'device_enrolled',
    ]);
    expect(events.json().events[2].details).toEqual({
      reason: 'stolen',
      sessionsEnded: 1,
      note: 'ticket <b>#42</b>',
    });
  });

  it('shows refusals by policy as events carrying what the device reported and each finding', async () => {
    const rooted = await TestDevice.create(s);
    rooted.posture = { rooted: true, screenLock: false, emulator: false };
    rooted.platform = 'android';
    rooted.osVersion = '9<script>';
    rooted.appVersion = '1.0.0"><svg onload=alert(1)>';
    const res = await rooted.loginRaw('gina', PASSWORD);
    expect([res.statusCode, res.json().code]).toEqual([403, 'device_policy_refused']);

    const refused = await call('GET', '/admin/events?type=device_policy_refused');
    expect(refused.statusCode).toBe(200);
    expect(refused.json().events).toHaveLength(1);
    expect(refused.json().events[0]).toMatchObject({
      type: 'device_policy_refused',
      userId: ginaId,
      deviceId: rooted.id,
      details: {
        at: 'login',
        platform: 'android',
        osVersion: '9<script>',
        appVersion: '1.0.0"><svg onload=alert(1)>',
        posture: { rooted: true, screenLock: false, emulator: false },
        findings: ['device_rooted', 'screen_lock_missing', 'app_version_too_old'],
        refusals: [
          { code: 'device_rooted', action: 'refuse' },
          { code: 'screen_lock_missing', action: 'refuse' },
          { code: 'app_version_too_old', action: 'refuse' },
        ],
      },
    });
    // A device refused at refresh is logged the same way.
    const phone = await TestDevice.create(s);
    const session = await phone.login('gina', PASSWORD);
    const later = await phone.refresh(session, {
      device: {
        osVersion: '14',
        appVersion: '1.4.0',
        posture: { rooted: true, screenLock: true, emulator: false },
      },
    });
    expect(later.json().code).toBe('device_policy_refused');
    const both = await call('GET', `/admin/events?type=device_policy_refused&userId=${ginaId}`);
    expect(
      both
        .json()
        .events.map((e: { deviceId: string; details: { at: string } }) => [e.deviceId, e.details.at]),
    ).toEqual([
      [phone.id, 'refresh'],
      [rooted.id, 'login'],
    ]);
  });

  it('returns device-supplied text with markup verbatim and refuses oversize text at input', async () => {
    const phone = await TestDevice.create(s);
    phone.name = '<img src=x onerror=alert(document.cookie)>';
    phone.osVersion = '<b>14</b>';
    phone.appVersion = '2.0.0<script>';
    await phone.login('gina', PASSWORD);
    const res = await call('GET', `/admin/devices?userId=${ginaId}`);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().devices[0]).toMatchObject({
      name: '<img src=x onerror=alert(document.cookie)>',
      osVersion: '<b>14</b>',
      appVersion: '2.0.0<script>',
    });

    for (const [field, value] of [
      ['name', 'n'.repeat(101)],
      ['name', ''],
      ['osVersion', 'o'.repeat(41)],
      ['appVersion', 'a'.repeat(41)],
      ['platform', '<script>'],
    ] as const) {
      const d = await TestDevice.create(s);
      (d as unknown as Record<string, string>)[field] = value;
      const refused = await d.loginRaw('gina', PASSWORD);
      expect([field, refused.statusCode, refused.json().code]).toEqual([field, 400, 'invalid_request']);
    }
    // NUL and other control characters are refused at input (PostgreSQL text cannot hold NUL).
    for (const [field, value] of [
      ['name', 'phone\u0000'],
      ['osVersion', '14\u0000'],
      ['appVersion', '1.4\n'],
    ] as const) {
      const d = await TestDevice.create(s);
      (d as unknown as Record<string, string>)[field] = value;
      const refused = await d.loginRaw('gina', PASSWORD);
      expect([field, refused.statusCode, refused.json().code]).toEqual([field, 400, 'invalid_request']);
    }
    const nulUser = await (await TestDevice.create(s)).loginRaw('gi\u0000na', PASSWORD);
    expect([nulUser.statusCode, nulUser.json().code]).toEqual([400, 'invalid_request']);
    // Unpaired surrogates likewise: UTF-8 cannot hold them, so the database would store another
    // name than the device sent (three U+FFFD on SQLite, one on PostgreSQL).
    for (const [field, value] of [
      ['name', 'phone \ud83d'],
      ['osVersion', '\udc0014'],
    ] as const) {
      const d = await TestDevice.create(s);
      (d as unknown as Record<string, string>)[field] = value;
      const refused = await d.loginRaw('gina', PASSWORD);
      expect([field, refused.statusCode, refused.json().code]).toEqual([field, 400, 'invalid_request']);
    }
    const loneUser = await (await TestDevice.create(s)).loginRaw('gi\ud800na', PASSWORD);
    expect([loneUser.statusCode, loneUser.json().code]).toEqual([400, 'invalid_request']);
    const signedIn = await TestDevice.create(s);
    const session = await signedIn.login('gina', PASSWORD);
    const refresh = await signedIn.refresh(session, {
      device: { osVersion: '14', appVersion: '\u0000', posture: signedIn.posture },
    });
    expect([refresh.statusCode, refresh.json().code]).toEqual([400, 'invalid_request']);
    expect((await list(`?userId=${ginaId}`)).devices).toHaveLength(2);
  });

  it('refuses control characters in a revocation note: no forged line in the event log, nothing revoked', async () => {
    const phone = await TestDevice.create(s);
    await phone.login('gina', PASSWORD);
    await s.ctx.events.flush();
    const before = (await s.ctx.events.list({ limit: 1000 })).length;
    for (const note of [
      // Shown line by line, this would read as a second detail of the event.
      'ticket 41\nreason lost',
      'ticket 41\r\nsessionsEnded 0',
      'ticket\u0000',
      '\u001b[2J\u001b[31mcleared',
      'next\u0085line',
      '\u007f',
    ]) {
      const res = await call('POST', `/admin/devices/${phone.id}/revoke`, { reason: 'stolen', note });
      expect([JSON.stringify(note), res.statusCode, res.json().code]).toEqual([
        JSON.stringify(note),
        400,
        'invalid_request',
      ]);
    }
    expect(
      (await list(`?userId=${ginaId}`)).devices.find((d: { id: string }) => d.id === phone.id),
    ).toMatchObject({
      status: 'active',
    });
    await s.ctx.events.flush();
    expect((await s.ctx.events.list({ limit: 1000 })).length).toBe(before);
    // Printable text of any script stays allowed, and is stored as sent.
    const ok = await call('POST', `/admin/devices/${phone.id}/revoke`, {
      reason: 'stolen',
      note: 'Tícket №41 — 盗難',
    });
    expect(ok.statusCode).toBe(200);
    await s.ctx.events.flush();
    const [revoked] = await s.ctx.events.list({ type: 'device_revoked', limit: 1000 });
    expect(revoked?.data.note).toBe('Tícket №41 — 盗難');
  });

  it('refuses unknown devices and users with 404', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const revoke = await call('POST', `/admin/devices/${missing}/revoke`, { reason: 'lost' });
    expect([revoke.statusCode, revoke.json().code]).toEqual([404, 'device_not_found']);
    const devices = await call('GET', `/admin/users/${missing}/devices`);
    expect([devices.statusCode, devices.json().code]).toEqual([404, 'user_not_found']);
  });
});
