/**
 * Accounts and sign-in on both dialects: login, identical failures for unknown user and wrong
 * password, brute-force throttling (1,000 scripted guesses; an IPv6 client counted by its /64),
 * the hashing cap, first-start admin, password change and account disable.
 */
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureInitialAdmin } from '../src/identity/bootstrap.js';
import { throttleAddress } from '../src/identity/lib/throttle-address.js';
import { EVENT_WINDOW_SECONDS } from '../src/identity/throttle.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

describeEachDialect('identity', (dialect) => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServer(dialect);
  });
  afterEach(async () => {
    await s.close();
  });

  it('signs in with username and password and returns DPoP-bound tokens', async () => {
    const userId = await s.user('Alice', PASSWORD);
    const device = await TestDevice.create(s);
    const session = await device.login('alice', PASSWORD);
    expect(session.userId).toBe(userId);
    expect(session.body.tokenType).toBe('DPoP');
    const me = await device.call(session, 'GET', '/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ userId, username: 'Alice', deviceId: device.id, role: 'user' });
    const events = await s.ctx.events.list();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['device_enrolled', 'login_succeeded']));
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  });

  it('authenticates before it reads the body: an anonymous malformed password change gets 401', async () => {
    for (const payload of ['{"currentPassword": 1}', '{"unterminated']) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/auth/password',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('token_missing');
    }
  });

  it('answers an unknown user and a wrong password identically, after the same hashing work', async () => {
    await s.user('alice', PASSWORD);
    const device = await TestDevice.create(s);
    const verify = s.ctx.passwords.verify.bind(s.ctx.passwords);
    let verifications = 0;
    s.ctx.passwords.verify = async (phc, password) => {
      verifications += 1;
      return verify(phc, password);
    };
    const timings = { wrong: [] as number[], unknown: [] as number[] };
    const bodies = new Set<string>();
    // Interleaved samples; the structural checks below (same body, one Argon2 verify each) are the
    // real evidence, the timing bound only catches a gross difference on this shared machine.
    const rounds = 10;
    for (let i = 0; i < rounds; i += 1) {
      for (const [kind, username] of [
        ['wrong', 'alice'],
        ['unknown', `nobody-${i}`],
      ] as const) {
        const t0 = performance.now();
        const res = await device.loginRaw(username, 'not-the-password-0', { ip: `198.51.100.${i + 1}` });
        timings[kind].push(performance.now() - t0);
        expect(res.statusCode).toBe(401);
        expect(res.headers['content-type']).toContain('application/problem+json');
        bodies.add(res.body);
      }
    }
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0] ?? '{}').code).toBe('invalid_credentials');
    expect(verifications).toBe(2 * rounds);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const ratio = median(timings.unknown) / median(timings.wrong);
    expect(ratio).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
  });

  it('keeps 1,000 scripted guesses from several IPs within the configured limit; the real user still signs in', async () => {
    const userId = await s.user('victim', PASSWORD);
    const owner = await TestDevice.create(s);
    await owner.login('victim', PASSWORD, '203.0.113.10');

    const t = s.ctx.config.throttle;
    const attacker = await TestDevice.create(s);
    const ips = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];
    const verify = s.ctx.passwords.verify.bind(s.ctx.passwords);
    let hashed = 0;
    s.ctx.passwords.verify = async (phc, password) => {
      hashed += 1;
      return verify(phc, password);
    };
    const statuses: Record<number, number> = {};
    const startMs = s.clock.ms;
    for (let i = 0; i < 1000; i += 1) {
      const res = await attacker.loginRaw('victim', `guess-${i}-x`, {
        ip: ips[i % ips.length] ?? '198.51.100.1',
      });
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode === 429) {
        expect(res.json().code).toBe('login_throttled');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      s.clock.advance(3.6); // 1,000 guesses over one hour
    }
    const elapsed = (s.clock.ms - startMs) / 1000;
    // Account-wide budget: failuresPerAccount per window, over the windows the run touched.
    const budget = t.failuresPerAccount * Math.ceil(elapsed / t.accountWindowSeconds + 1);
    expect(statuses[401] ?? 0).toBeLessThanOrEqual(budget);
    expect(hashed).toBe(statuses[401] ?? 0);
    expect(statuses[429] ?? 0).toBeGreaterThanOrEqual(1000 - budget);
    expect(statuses[200] ?? 0).toBe(0);
    expect(Object.keys(statuses).sort()).toEqual(['401', '429']);

    // The owner's enrolled device is never held back by other people's failures.
    const again = await owner.login('victim', PASSWORD, '203.0.113.10');
    expect(again.userId).toBe(userId);
    // The refusals are in the log once per client, limit and minute, not once per guess: each
    // address refused has its events, no two of one address and limit within a minute.
    const throttled = await s.ctx.events.list({ type: 'login_throttled', limit: 1000 });
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled.length).toBeLessThan((statuses[429] ?? 0) / 2);
    expect(new Set(throttled.map((e) => e.ip))).toEqual(new Set(ips));
    const lastAt = new Map<string, number>();
    for (const e of [...throttled].sort((a, b) => a.seq - b.seq)) {
      const key = `${e.ip} ${String(e.data.limit)}`;
      const at = Date.parse(e.at);
      const before = lastAt.get(key);
      if (before !== undefined) expect(at - before).toBeGreaterThanOrEqual(EVENT_WINDOW_SECONDS * 1000);
      lastAt.set(key, at);
    }
  });

  it('delays one account+IP after the free failures, doubling each time, without locking the account', async () => {
    await s.user('bob', PASSWORD);
    const device = await TestDevice.create(s);
    const ip = '192.0.2.50';
    const free = s.ctx.config.throttle.freeFailuresPerAccountIp;
    for (let i = 0; i < free; i += 1)
      expect((await device.loginRaw('bob', 'wrong-pass-1', { ip })).statusCode).toBe(401);
    // Failure free+1 is checked, then a 1 s delay starts; the next try within it is refused unhashed.
    expect((await device.loginRaw('bob', 'wrong-pass-1', { ip })).statusCode).toBe(401);
    const held = await device.loginRaw('bob', PASSWORD, { ip });
    expect(held.statusCode).toBe(429);
    expect(held.headers['retry-after']).toBe('1');
    s.clock.advance(1);
    expect((await device.loginRaw('bob', 'wrong-pass-1', { ip })).statusCode).toBe(401);
    const longer = await device.loginRaw('bob', PASSWORD, { ip });
    expect(longer.statusCode).toBe(429);
    expect(longer.headers['retry-after']).toBe('2');
    // Another IP is not affected, and the right password works there.
    expect((await device.loginRaw('bob', PASSWORD, { ip: '192.0.2.51' })).statusCode).toBe(200);
    // After the delay the right password works from the throttled IP too, and clears its count.
    s.clock.advance(2);
    expect((await device.loginRaw('bob', PASSWORD, { ip })).statusCode).toBe(200);
    expect((await device.loginRaw('bob', 'wrong-pass-1', { ip })).statusCode).toBe(401);
  });

  it('starts no session for an account disabled while the sign-in checked its password', async () => {
    // Enabling an account again must not bring back a session that began after it was disabled.
    await s.user('hale', PASSWORD);
    await s.user('keeper', PASSWORD, 'admin');
    const adminDevice = await TestDevice.create(s);
    const admin = await adminDevice.login('keeper', PASSWORD);
    const target = await s.ctx.db
      .selectFrom('users')
      .select('id')
      .where('username_key', '=', 'hale')
      .executeTakeFirstOrThrow();
    const device = await TestDevice.create(s);
    await device.loginRaw('nobody', 'x'); // picks up a nonce
    const verify = s.ctx.passwords.verify.bind(s.ctx.passwords);
    let disabled = false;
    s.ctx.passwords.verify = async (hash, password) => {
      const ok = await verify(hash, password);
      if (!disabled) {
        disabled = true;
        s.ctx.passwords.verify = verify;
        const res = await adminDevice.call(admin, 'POST', `/admin/users/${target.id}/disable`);
        expect(res.statusCode).toBe(200);
      }
      return ok;
    };
    const late = await device.loginRaw('hale', PASSWORD);
    expect([late.statusCode, late.json().code]).toEqual([401, 'account_disabled']);
    expect((await adminDevice.call(admin, 'POST', `/admin/users/${target.id}/enable`)).statusCode).toBe(200);
    const live = await s.ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('device_id', '=', device.id)
      .where('revoked_at', 'is', null)
      .execute();
    expect(live).toEqual([]);
  });

  it('keeps an admin reset that lands while a password change checks the current password', async () => {
    // An attacker with the password and a session changes the password; the admin, alerted,
    // resets it at that moment to lock them out. The change checked the old password: it must not
    // write the attacker's password over the one-time password afterwards.
    await s.user('gale', PASSWORD);
    await s.user('warden', PASSWORD, 'admin');
    const attacker = await TestDevice.create(s);
    const stolen = await attacker.login('gale', PASSWORD);
    const adminDevice = await TestDevice.create(s);
    const admin = await adminDevice.login('warden', PASSWORD);
    const verify = s.ctx.passwords.verify.bind(s.ctx.passwords);
    let reset: Promise<{ statusCode: number; json(): { oneTimePassword: string } }> | undefined;
    s.ctx.passwords.verify = async (hash, password) => {
      const ok = await verify(hash, password);
      if (reset === undefined) {
        s.ctx.passwords.verify = verify;
        reset = adminDevice.call(admin, 'POST', `/admin/users/${stolen.userId}/reset-password`);
        expect((await reset).statusCode).toBe(200);
      }
      return ok;
    };
    const change = await attacker.call(stolen, 'POST', '/auth/password', {
      currentPassword: PASSWORD,
      newPassword: 'gale-is-mine-now-123',
    });
    expect([change.statusCode, change.json().code]).toEqual([401, 'invalid_credentials']);
    const oneTime = (await reset)?.json().oneTimePassword ?? '';
    expect((await attacker.loginRaw('gale', 'gale-is-mine-now-123')).statusCode).toBe(401);
    const owner = await TestDevice.create(s);
    const back = await owner.loginRaw('gale', oneTime);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().user.mustChangePassword).toBe(true);
  });

  it('starts no session from a password that was changed while the sign-in checked it', async () => {
    // An attacker who knows the password signs in over and over; one sign-in is always between its
    // password check and its new session. The owner's change ends every other session, but not
    // one that does not exist yet: it must not be created from the old password afterwards.
    await s.user('fern', PASSWORD);
    const owner = await TestDevice.create(s);
    const ownerSession = await owner.login('fern', PASSWORD);
    const attacker = await TestDevice.create(s);
    await attacker.loginRaw('nobody', 'x'); // picks up a nonce
    const verify = s.ctx.passwords.verify.bind(s.ctx.passwords);
    let changed: Promise<unknown> | undefined;
    s.ctx.passwords.verify = async (hash, password) => {
      const ok = await verify(hash, password);
      if (changed === undefined) {
        s.ctx.passwords.verify = verify;
        changed = owner.call(ownerSession, 'POST', '/auth/password', {
          currentPassword: PASSWORD,
          newPassword: 'fern-changed-it-in-time',
        });
        expect(((await changed) as { statusCode: number }).statusCode).toBe(200);
      }
      return ok;
    };
    const late = await attacker.loginRaw('fern', PASSWORD);
    expect([late.statusCode, late.json().code]).toEqual([401, 'invalid_credentials']);
    const live = await s.ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('device_id', '=', attacker.id)
      .where('revoked_at', 'is', null)
      .execute();
    expect(live).toEqual([]);
    expect((await attacker.loginRaw('fern', 'fern-changed-it-in-time')).statusCode).toBe(200);
  });

  it('counts an IPv6 client by its /64 network, and an IPv4-mapped address as the IPv4 one', async () => {
    // A subscriber gets at least a /64: an attacker rotating through its addresses is one client,
    // or every address-keyed limit (account+IP, the spraying limit per IP) is void.
    await s.user('dora', PASSWORD);
    const device = await TestDevice.create(s);
    const free = s.ctx.config.throttle.freeFailuresPerAccountIp;
    const attempts = Array.from(
      { length: free + 1 },
      (_, i) => `2001:db8:aa:bb:${(i + 1).toString(16)}::${i + 7}`,
    );
    for (const ip of attempts)
      expect((await device.loginRaw('dora', 'wrong-pass-1', { ip })).statusCode).toBe(401);
    for (const ip of [
      '2001:db8:aa:bb::ffff',
      '2001:DB8:AA:BB:0:0:0:1',
      '2001:db8:aa:bb:ffff:ffff:ffff:ffff',
    ]) {
      expect([ip, (await device.loginRaw('dora', PASSWORD, { ip })).statusCode]).toEqual([ip, 429]);
    }
    // The next /64 is another client.
    expect((await device.loginRaw('dora', PASSWORD, { ip: '2001:db8:aa:bc::1' })).statusCode).toBe(200);

    await s.user('emil', PASSWORD);
    const other = await TestDevice.create(s);
    for (let i = 0; i <= free; i += 1)
      expect((await other.loginRaw('emil', 'wrong-pass-1', { ip: '198.51.100.77' })).statusCode).toBe(401);
    expect((await other.loginRaw('emil', PASSWORD, { ip: '::ffff:198.51.100.77' })).statusCode).toBe(429);
    expect((await other.loginRaw('emil', PASSWORD, { ip: '198.51.100.78' })).statusCode).toBe(200);
  });

  it('stores throttling counters under hashed keys and purges them once expired', async () => {
    const device = await TestDevice.create(s);
    await device.loginRaw('someone', 'wrong-password-x', { ip: '192.0.2.9' });
    const rows = await s.ctx.cache
      .selectFrom('bulwark_rate_limits' as never)
      .selectAll()
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(rows)).not.toContain('someone');
    expect(JSON.stringify(rows)).not.toContain('192.0.2.9');
    s.clock.advance(2 * 86_400);
    await device.loginRaw('other', 'wrong-password-x', { ip: '192.0.2.10' });
    const after = (await s.ctx.cache
      .selectFrom('bulwark_rate_limits' as never)
      .selectAll()
      .execute()) as Array<{
      key: string;
    }>;
    expect(after.some((r) => (rows as Array<{ key: string }>).some((old) => old.key === r.key))).toBe(false);
  });

  it('caps concurrent hashing and answers the overflow with 503 server_busy', async () => {
    await s.close();
    s = await startTestServer(dialect, { passwords: { maxConcurrentHashes: 1, maxQueuedHashes: 1 } });
    const devices = await Promise.all(Array.from({ length: 8 }, () => TestDevice.create(s)));
    for (const d of devices) d.nonce = s.ctx.dpop.nonces.current();
    const results = await Promise.all(
      devices.map((d, i) => d.loginRaw(`user${i}`, 'some-wrong-password', { ip: `192.0.2.${i + 1}` })),
    );
    const codes = results.map((r) => r.json().code as string).sort();
    expect(codes).toContain('server_busy');
    expect(codes).toContain('invalid_credentials');
    expect(results.every((r) => r.statusCode === 401 || r.statusCode === 503)).toBe(true);
    const busy = results.find((r) => r.statusCode === 503);
    expect(busy?.headers['content-type']).toContain('application/problem+json');
    expect(busy?.headers['retry-after']).toBe('1');
  });

  it('creates the first admin with a one-time password that must be changed before anything else', async () => {
    const deps = { db: s.ctx.db, passwords: s.ctx.passwords, rules: s.ctx.config.passwords, now: s.ctx.now };
    const admin = await ensureInitialAdmin(deps, s.ctx.events, 'admin');
    expect(admin?.username).toBe('admin');
    expect(admin?.password.length).toBeGreaterThanOrEqual(24);
    expect(await ensureInitialAdmin(deps, s.ctx.events, 'admin')).toBeUndefined();
    const row = await s.ctx.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(row.password_hash).not.toContain(admin?.password ?? '');

    const device = await TestDevice.create(s);
    const session = await device.login('admin', admin?.password ?? '');
    expect(session.body.user).toMatchObject({ role: 'admin', mustChangePassword: true });
    const blocked = await device.call(session, 'GET', '/admin/users');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('password_change_required');
    // "Changing" it to itself would keep the one-time password (printed at start, seen by whoever
    // issued it) as the account's password, and clear the obligation to change it.
    const kept = await device.call(session, 'POST', '/auth/password', {
      currentPassword: admin?.password,
      newPassword: admin?.password,
    });
    expect([kept.statusCode, kept.json().code]).toEqual([400, 'password_rejected']);
    expect(kept.json().issues).toEqual([
      { path: '/newPassword', code: 'password_unchanged', message: expect.any(String) },
    ]);
    expect((await device.call(session, 'GET', '/admin/users')).json().code).toBe('password_change_required');
    const changed = await device.call(session, 'POST', '/auth/password', {
      currentPassword: admin?.password,
      newPassword: 'a-new-admin-passphrase-77',
    });
    expect(changed.statusCode).toBe(200);
    expect((await device.call(session, 'GET', '/admin/users')).statusCode).toBe(200);
  });

  it('changes a password only with the current one, applies the rules, and ends the other sessions', async () => {
    await s.user('carol', PASSWORD);
    const phone = await TestDevice.create(s);
    const tablet = await TestDevice.create(s);
    const onPhone = await phone.login('carol', PASSWORD);
    const onTablet = await tablet.login('carol', PASSWORD);

    const wrong = await phone.call(onPhone, 'POST', '/auth/password', {
      currentPassword: 'not-it-at-all',
      newPassword: 'another-good-passphrase',
    });
    expect(wrong.json().code).toBe('invalid_credentials');
    const weak = await phone.call(onPhone, 'POST', '/auth/password', {
      currentPassword: PASSWORD,
      newPassword: 'password123',
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().code).toBe('password_rejected');
    expect(weak.json().issues.map((i: { code: string }) => i.code)).toContain('password_common');

    const ok = await phone.call(onPhone, 'POST', '/auth/password', {
      currentPassword: PASSWORD,
      newPassword: 'another-good-passphrase',
    });
    expect(ok.json()).toEqual({ otherSessionsEnded: 1 });
    // The same password in another Unicode form (passwords are compared after NFKC) is no change.
    const composed = 'caf\u00e9-au-lait-every-morning';
    expect(
      (
        await phone.call(onPhone, 'POST', '/auth/password', {
          currentPassword: 'another-good-passphrase',
          newPassword: composed,
        })
      ).statusCode,
    ).toBe(200);
    const decomposed = await phone.call(onPhone, 'POST', '/auth/password', {
      currentPassword: composed,
      newPassword: composed.normalize('NFD'),
    });
    expect(decomposed.json().issues?.map((i: { code: string }) => i.code)).toEqual(['password_unchanged']);
    expect(
      (
        await phone.call(onPhone, 'POST', '/auth/password', {
          currentPassword: composed,
          newPassword: 'another-good-passphrase',
        })
      ).statusCode,
    ).toBe(200);
    expect((await phone.call(onPhone, 'GET', '/me')).statusCode).toBe(200);
    const ended = await tablet.call(onTablet, 'GET', '/me');
    expect(ended.statusCode).toBe(401);
    expect(ended.json().code).toBe('session_revoked');
    expect((await tablet.refresh(onTablet)).json().code).toBe('session_revoked');
    expect((await tablet.loginRaw('carol', PASSWORD)).statusCode).toBe(401);
    expect((await tablet.loginRaw('carol', 'another-good-passphrase')).statusCode).toBe(200);
  });
});

describe('the address a sign-in throttle counts', () => {
  it('is the /64 network of an IPv6 address (checked against node:net BlockList), in whatever spelling', () => {
    fc.assert(
      fc.property(
        fc.ipV6(),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }),
        (address, low) => {
          const key = throttleAddress(address);
          if (!key.endsWith('::/64')) return; // an IPv4-mapped address: the next property
          const network = new BlockList();
          network.addSubnet(key.slice(0, -3), 64, 'ipv6');
          expect(network.check(address, 'ipv6')).toBe(true);
          // Any other address of the network, spelled out in upper case, is the same client.
          const sibling = [...key.slice(0, -5).split(':'), ...low.map((x) => x.toString(16))]
            .join(':')
            .toUpperCase();
          expect(throttleAddress(sibling)).toBe(key);
        },
      ),
    );
  });

  it('is an IPv4 address itself, also when a dual-stack socket reports it IPv4-mapped', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(throttleAddress(address)).toBe(address);
        expect(throttleAddress(`::ffff:${address}`)).toBe(address);
        expect(throttleAddress(`::FFFF:${address}`)).toBe(address);
      }),
    );
  });
});
