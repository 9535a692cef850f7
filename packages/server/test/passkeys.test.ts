/**
 * Passkeys on both dialects, with real WebAuthn responses from a software authenticator:
 * registration, the admin second factor at sign-in, and every way of breaking it (wrong or
 * replayed challenge, a challenge of another account or device, counter regression, a clone
 * racing the original, another account's passkey, wrong origin or rp id, a missing passkey,
 * brute force).
 */
import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../../../test-support/webauthn.js';
import { buildApp } from '../src/app.js';
import { ConfigError } from '../src/config/errors.js';
import { resolveAuthConfig } from '../src/config.js';
import { createServerContext } from '../src/context.js';
import { resetPasskeys } from '../src/identity/passkeys.js';
import { describeEachDialect } from './lib/databases.js';
import {
  PASSWORD,
  type Session,
  startTestServer,
  TEST_AUTH,
  TestDevice,
  type TestServer,
} from './lib/harness.js';

const ORIGIN = 'http://localhost';

interface Challenge {
  challengeId: string;
  options: { challenge: string; rpId: string; allowCredentials: { id: string }[] };
}

describeEachDialect('passkeys', (dialect) => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServer(dialect, { publicOrigin: ORIGIN });
  });
  afterEach(async () => {
    await s.close();
  });

  /** Registers a passkey for a signed-in account; returns the authenticator holding it. */
  async function register(device: TestDevice, session: Session, name?: string): Promise<SoftAuthenticator> {
    const auth = new SoftAuthenticator(ORIGIN, 'localhost');
    const opts = await device.call(session, 'POST', '/auth/passkeys/registration-options');
    expect(opts.statusCode).toBe(200);
    const res = await device.call(session, 'POST', '/auth/passkeys', {
      response: auth.create(opts.json().options),
      ...(name === undefined ? {} : { name }),
    });
    expect(res.statusCode).toBe(201);
    return auth;
  }

  /** An admin with one passkey, signed out; and the device it registered from. */
  async function adminWithPasskey(
    username = 'root',
  ): Promise<{ device: TestDevice; auth: SoftAuthenticator }> {
    await s.user(username, PASSWORD, 'admin');
    const device = await TestDevice.create(s);
    const session = await device.login(username, PASSWORD);
    return { device, auth: await register(device, session) };
  }

  /** First sign-in step: the password, answered with `passkey_required`. */
  async function challenge(device: TestDevice, username = 'root', ip?: string): Promise<Challenge> {
    const res = await device.loginRaw(username, PASSWORD, ip === undefined ? {} : { ip });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('passkey_required');
    return res.json() as Challenge;
  }

  function withPasskey(
    device: TestDevice,
    challengeId: string,
    response: Record<string, unknown>,
    username = 'root',
    ip?: string,
  ): Promise<LightMyRequestResponse> {
    return device.loginRaw(username, PASSWORD, {
      extra: { passkey: { challengeId, response } },
      ...(ip === undefined ? {} : { ip }),
    });
  }

  it('registers a passkey with the options it hands out, lists it and deletes it', async () => {
    const userId = await s.user('alice', PASSWORD, 'admin');
    const device = await TestDevice.create(s);
    const session = await device.login('alice', PASSWORD);

    const opts = await device.call(session, 'POST', '/auth/passkeys/registration-options');
    expect(opts.statusCode).toBe(200);
    const options = opts.json().options;
    expect(options).toMatchObject({
      rp: { id: 'localhost', name: 'Bulwark' },
      user: { name: 'alice', id: Buffer.from(userId).toString('base64url') },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      extensions: { prf: {} },
      excludeCredentials: [],
    });
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    const auth = new SoftAuthenticator(ORIGIN, 'localhost');
    // A name is text like a device name: a NUL (PostgreSQL text cannot hold it) or an unpaired
    // surrogate is refused at input, before the challenge is spent.
    for (const name of ['Lap\u0000top', 'Lap\ud800top']) {
      const refused = await device.call(session, 'POST', '/auth/passkeys', {
        response: auth.create(options),
        name,
      });
      expect([refused.statusCode, refused.json().code]).toEqual([400, 'invalid_request']);
    }
    const created = await device.call(session, 'POST', '/auth/passkeys', {
      response: auth.create(options),
      name: 'Laptop',
    });
    expect(created.statusCode).toBe(201);
    const passkey = created.json().passkey;
    expect(passkey).toEqual({
      id: expect.any(String),
      name: 'Laptop',
      createdAt: expect.any(String),
      backedUp: false,
    });

    const list = await device.call(session, 'GET', '/auth/passkeys');
    expect(list.json()).toEqual({ passkeys: [passkey] });
    const again = await device.call(session, 'POST', '/auth/passkeys/registration-options');
    expect(again.json().options.excludeCredentials).toEqual([
      { id: auth.id, type: 'public-key', transports: ['internal'] },
    ]);

    // Someone else cannot delete it, and does not learn that it exists.
    await s.user('mallory', PASSWORD, 'admin');
    const other = await TestDevice.create(s);
    const otherSession = await other.login('mallory', PASSWORD);
    const foreign = await other.call(otherSession, 'DELETE', `/auth/passkeys/${passkey.id}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('passkey_not_found');
    expect((await device.call(session, 'GET', '/auth/passkeys')).json().passkeys).toHaveLength(1);
    // An id no passkey can have is refused at input: a NUL would fail the PostgreSQL statement.
    for (const id of ['%00', 'a%00b', '%E2%80%AE', 'a b']) {
      const bad = await device.call(session, 'DELETE', `/auth/passkeys/${id.replace(' ', '%20')}`);
      expect([id, bad.statusCode, bad.json().code]).toEqual([id, 400, 'invalid_request']);
    }

    const deleted = await device.call(session, 'DELETE', `/auth/passkeys/${passkey.id}`);
    expect(deleted.statusCode).toBe(204);
    expect((await device.call(session, 'GET', '/auth/passkeys')).json()).toEqual({ passkeys: [] });
    // With no passkey left, the password alone signs the admin in again.
    await device.login('alice', PASSWORD);
    const types = (await s.ctx.events.list()).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['passkey_registered', 'passkey_deleted']));
  });

  it('refuses a registration answering a spent challenge, one of another device, or made for another origin', async () => {
    await s.user('alice', PASSWORD);
    const device = await TestDevice.create(s);
    const session = await device.login('alice', PASSWORD);
    const auth = new SoftAuthenticator(ORIGIN, 'localhost');

    const options = (await device.call(session, 'POST', '/auth/passkeys/registration-options')).json()
      .options;
    const wrongOrigin = await device.call(session, 'POST', '/auth/passkeys', {
      response: auth.create(options, { origin: 'https://evil.example' }),
    });
    expect(wrongOrigin.statusCode).toBe(400);
    expect(wrongOrigin.json().code).toBe('passkey_registration_failed');
    // That attempt spent the challenge.
    const spent = await device.call(session, 'POST', '/auth/passkeys', { response: auth.create(options) });
    expect(spent.json().code).toBe('passkey_challenge_invalid');

    const fresh = (await device.call(session, 'POST', '/auth/passkeys/registration-options')).json().options;
    const wrongRp = await device.call(session, 'POST', '/auth/passkeys', {
      response: auth.create(fresh, { rpId: 'evil.example' }),
    });
    expect(wrongRp.json().code).toBe('passkey_registration_failed');

    // A challenge asked for by one device cannot be answered from another device of the account.
    const fromA = (await device.call(session, 'POST', '/auth/passkeys/registration-options')).json().options;
    const deviceB = await TestDevice.create(s);
    const sessionB = await deviceB.login('alice', PASSWORD);
    const crossDevice = await deviceB.call(sessionB, 'POST', '/auth/passkeys', {
      response: auth.create(fromA),
    });
    expect(crossDevice.json().code).toBe('passkey_challenge_invalid');

    const unasked = await device.call(session, 'POST', '/auth/passkeys', {
      response: auth.create({ challenge: Buffer.alloc(32, 7).toString('base64url') }),
    });
    expect(unasked.json().code).toBe('passkey_challenge_invalid');

    // An expired challenge is refused even when everything else is right.
    const late = (await device.call(session, 'POST', '/auth/passkeys/registration-options')).json().options;
    s.clock.advance(s.ctx.config.passkeys.challengeTtlSeconds + 1);
    const lateSession = await device.login('alice', PASSWORD);
    const expired = await device.call(lateSession, 'POST', '/auth/passkeys', { response: auth.create(late) });
    expect(expired.json().code).toBe('passkey_challenge_invalid');

    expect((await device.call(lateSession, 'GET', '/auth/passkeys')).json().passkeys).toEqual([]);
    const refused = (await s.ctx.events.list()).filter((e) => e.type === 'passkey_registration_refused');
    expect(refused.length).toBe(6);
  });

  it('asks an admin with a passkey for it after the password, and signs in with a valid assertion', async () => {
    const { device, auth } = await adminWithPasskey();
    const first = await device.loginRaw('root', PASSWORD);
    expect(first.statusCode).toBe(401);
    expect(first.headers['content-type']).toContain('application/problem+json');
    const body = first.json() as Challenge & Record<string, unknown>;
    expect(body.code).toBe('passkey_required');
    expect(body).not.toHaveProperty('accessToken');
    expect(body).not.toHaveProperty('refreshToken');
    expect(body.options.rpId).toBe('localhost');
    expect(body.options.allowCredentials.map((c) => c.id)).toEqual([auth.id]);

    const ok = await withPasskey(device, body.challengeId, auth.get(body.options));
    expect(ok.statusCode).toBe(200);
    expect(ok.json().tokenType).toBe('DPoP');
    const session = { accessToken: ok.json().accessToken } as Session;
    expect((await device.call(session, 'GET', '/me')).statusCode).toBe(200);
    const [passkey] = (await device.call(session, 'GET', '/auth/passkeys')).json().passkeys;
    expect(passkey.lastUsedAt).toBe(new Date(s.clock.ms).toISOString());

    const events = await s.ctx.events.list();
    expect(events.map((e) => e.type)).toContain('login_passkey_required');
    const success = events.filter((e) => e.type === 'login_succeeded').at(-1);
    expect(success?.data.passkeyId).toBe(passkey.id);
  });

  it('never hands out tokens without the passkey: no passkey, a wrong challenge, a replayed one, an unknown id', async () => {
    const { device, auth } = await adminWithPasskey();
    const c = await challenge(device);
    // The assertion signs another challenge than the one named by challengeId.
    const other = await withPasskey(
      device,
      c.challengeId,
      auth.get(c.options, { challenge: Buffer.alloc(32, 1).toString('base64url') }),
    );
    expect(other.statusCode).toBe(401);
    expect(other.json().code).toBe('passkey_invalid');

    const unknown = await withPasskey(device, '00000000-0000-4000-8000-000000000000', auth.get(c.options));
    expect(unknown.json().code).toBe('passkey_challenge_invalid');

    const fresh = await challenge(device);
    const assertion = auth.get(fresh.options);
    expect((await withPasskey(device, fresh.challengeId, assertion)).statusCode).toBe(200);
    const replay = await withPasskey(device, fresh.challengeId, assertion);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('passkey_challenge_invalid');
    expect(replay.json()).not.toHaveProperty('accessToken');

    // The wrong password with a valid passkey is still the wrong password.
    const again = await challenge(device);
    const wrongPassword = await device.loginRaw('root', 'not-the-password-0', {
      extra: { passkey: { challengeId: again.challengeId, response: auth.get(again.options) } },
    });
    expect(wrongPassword.json().code).toBe('invalid_credentials');

    const failures = (await s.ctx.events.list())
      .filter((e) => e.type === 'login_failed')
      .map((e) => e.data.reason);
    expect(failures).toEqual(
      expect.arrayContaining(['passkey_invalid', 'passkey_challenge_invalid', 'invalid_credentials']),
    );
  });

  it('refuses a signature counter that goes backwards (a cloned authenticator)', async () => {
    const { device, auth } = await adminWithPasskey();
    const c1 = await challenge(device);
    expect((await withPasskey(device, c1.challengeId, auth.get(c1.options, { counter: 5 }))).statusCode).toBe(
      200,
    );
    const c2 = await challenge(device);
    const cloned = await withPasskey(device, c2.challengeId, auth.get(c2.options, { counter: 3 }));
    expect(cloned.statusCode).toBe(401);
    expect(cloned.json().code).toBe('passkey_counter_regressed');
    const c3 = await challenge(device);
    const same = await withPasskey(device, c3.challengeId, auth.get(c3.options, { counter: 5 }));
    expect(same.json().code).toBe('passkey_counter_regressed');
    // A forged assertion with a low counter is just invalid: only real signatures count as clones.
    const c4 = await challenge(device);
    const forged = await withPasskey(
      device,
      c4.challengeId,
      auth.get(c4.options, { counter: 1, signWith: new SoftAuthenticator(ORIGIN, 'localhost').privateKey }),
    );
    expect(forged.json().code).toBe('passkey_invalid');
    const c5 = await challenge(device);
    expect((await withPasskey(device, c5.challengeId, auth.get(c5.options, { counter: 6 }))).statusCode).toBe(
      200,
    );
  });

  it('accepts one of two assertions with the same counter that arrive at once (a clone racing the original)', async () => {
    const { device, auth } = await adminWithPasskey();
    const other = await TestDevice.create(s);
    const c1 = await challenge(device);
    const c2 = await challenge(other);
    const results = await Promise.all([
      withPasskey(device, c1.challengeId, auth.get(c1.options, { counter: 5 })),
      withPasskey(other, c2.challengeId, auth.get(c2.options, { counter: 5 })),
    ]);
    const answers = results.map((r) => (r.statusCode === 200 ? 200 : `${r.statusCode} ${r.json().code}`));
    expect(answers.sort()).toEqual([200, '401 passkey_counter_regressed']);
    const sessions = await s.ctx.db.selectFrom('sessions').select('device_id').execute();
    expect(sessions.filter((r) => r.device_id === other.id || r.device_id === device.id)).toHaveLength(2);
  });

  it("refuses another account's passkey, and a challenge issued to another account or device key", async () => {
    const { device, auth } = await adminWithPasskey('root');
    const other = await adminWithPasskey('second');

    const c = await challenge(device, 'root');
    const foreign = await withPasskey(device, c.challengeId, other.auth.get(c.options), 'root');
    expect(foreign.statusCode).toBe(401);
    expect(foreign.json().code).toBe('passkey_not_registered');

    // root's challenge and assertion, presented at second's sign-in.
    const rootChallenge = await challenge(device, 'root');
    const swapped = await withPasskey(
      other.device,
      rootChallenge.challengeId,
      other.auth.get(rootChallenge.options),
      'second',
    );
    expect(swapped.json().code).toBe('passkey_challenge_invalid');

    // A challenge bound to one device key, answered from another device that knows the password.
    const stolen = await challenge(device, 'root');
    const thief = await TestDevice.create(s);
    const fromThief = await withPasskey(thief, stolen.challengeId, auth.get(stolen.options), 'root');
    expect(fromThief.json().code).toBe('passkey_challenge_invalid');
    // The rightful device can still use it: the refused attempts did not spend it.
    expect((await withPasskey(device, stolen.challengeId, auth.get(stolen.options), 'root')).statusCode).toBe(
      200,
    );
  });

  it('finishes on another node what one node began: the challenge lives in the shared database', async () => {
    const { device, auth } = await adminWithPasskey();
    const c = await challenge(device);
    const ctxB = await createServerContext({
      db: s.database.db,
      cache: s.database.cache,
      now: s.clock.now,
      auth: { ...TEST_AUTH, publicOrigin: ORIGIN },
    });
    const nodeB = await buildApp({ db: s.database.db, context: ctxB, logger: false });
    try {
      const body = { username: 'root', password: PASSWORD, device: device.declaration() };
      const send = async (passkey: unknown) =>
        nodeB.inject({
          method: 'POST',
          url: '/auth/login',
          headers: { dpop: await device.proof('POST', '/auth/login') },
          payload: { ...body, passkey },
        });
      const assertion = auth.get(c.options);
      const ok = await send({ challengeId: c.challengeId, response: assertion });
      expect(ok.statusCode).toBe(200);
      // Spent for every node: node A refuses it now.
      const replay = await withPasskey(device, c.challengeId, assertion);
      expect(replay.json().code).toBe('passkey_challenge_invalid');
    } finally {
      await nodeB.close();
    }
  });

  it('refuses an assertion made for another origin or rp id', async () => {
    const { device, auth } = await adminWithPasskey();
    const c1 = await challenge(device);
    const phished = await withPasskey(
      device,
      c1.challengeId,
      auth.get(c1.options, { origin: 'https://evil.example' }),
    );
    expect(phished.json().code).toBe('passkey_invalid');
    const c2 = await challenge(device);
    const otherRp = await withPasskey(device, c2.challengeId, auth.get(c2.options, { rpId: 'evil.example' }));
    expect(otherRp.json().code).toBe('passkey_invalid');
    const c3 = await challenge(device);
    const created = await withPasskey(
      device,
      c3.challengeId,
      auth.get(c3.options, { type: 'webauthn.create' }),
    );
    expect(created.json().code).toBe('passkey_invalid');
    const c4 = await challenge(device);
    const absent = await withPasskey(device, c4.challengeId, auth.get(c4.options, { userPresent: false }));
    expect(absent.json().code).toBe('passkey_invalid');
  });

  it('throttles wrong assertions like wrong passwords', async () => {
    const { device, auth } = await adminWithPasskey();
    const ip = '198.51.100.9';
    const t = s.ctx.config.throttle;
    let throttledAt = -1;
    for (let i = 0; i < 2 * t.freeFailuresPerAccountIp + 4 && throttledAt < 0; i += 1) {
      const first = await device.loginRaw('root', PASSWORD, { ip });
      if (first.statusCode === 429) {
        throttledAt = i;
        break;
      }
      const c = first.json() as Challenge;
      const bad = await withPasskey(
        device,
        c.challengeId,
        auth.get(c.options, { origin: 'https://evil.example' }),
        'root',
        ip,
      );
      if (bad.statusCode === 429) throttledAt = i;
      else expect(bad.json().code).toBe('passkey_invalid');
    }
    expect(throttledAt).toBeGreaterThanOrEqual(0);
    const limited = await device.loginRaw('root', PASSWORD, { ip });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('login_throttled');
    expect((await s.ctx.events.list()).map((e) => e.type)).toContain('login_throttled');
  });

  it('requires nothing of accounts without a passkey, of non-admins, or when requireAdminPasskey is false', async () => {
    await s.user('fresh', PASSWORD, 'admin');
    const device = await TestDevice.create(s);
    const session = await device.login('fresh', PASSWORD);
    expect(session.body.tokenType).toBe('DPoP');

    await s.user('inspector', PASSWORD, 'user');
    const phone = await TestDevice.create(s);
    await register(phone, await phone.login('inspector', PASSWORD));
    expect((await phone.loginRaw('inspector', PASSWORD)).statusCode).toBe(200);

    const relaxed = await startTestServer(dialect, { publicOrigin: ORIGIN, requireAdminPasskey: false });
    try {
      await relaxed.user('root', PASSWORD, 'admin');
      const d = await TestDevice.create(relaxed);
      await register(d, await d.login('root', PASSWORD));
      expect((await d.loginRaw('root', PASSWORD)).statusCode).toBe(200);
    } finally {
      await relaxed.close();
    }
  });

  it('recovers from lost passkeys: resetPasskeys removes them and ends every session of the account', async () => {
    await s.user('root', PASSWORD, 'admin');
    const device = await TestDevice.create(s);
    const session = await device.login('root', PASSWORD);
    await register(device, session);
    await register(device, session);
    expect((await device.loginRaw('root', PASSWORD)).json().code).toBe('passkey_required');

    const reset = await resetPasskeys(s.ctx.db, s.ctx.events, 'ROOT', s.ctx.now);
    expect(reset).toMatchObject({ username: 'root', passkeysRemoved: 2, sessionsEnded: 1 });
    expect((await device.call(session, 'GET', '/me')).statusCode).toBe(401);
    const fresh = await device.login('root', PASSWORD);
    expect((await device.call(fresh, 'GET', '/auth/passkeys')).json()).toEqual({ passkeys: [] });
    const event = (await s.ctx.events.list()).find((e) => e.type === 'passkeys_reset');
    expect(event?.data).toMatchObject({ passkeysRemoved: 2, sessionsEnded: 1 });
    expect(await resetPasskeys(s.ctx.db, s.ctx.events, 'nobody', s.ctx.now)).toBeUndefined();
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths['/auth/passkeys'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/auth/passkeys/registration-options']).toHaveProperty('post');
    expect(doc.paths['/auth/passkeys/{id}']).toHaveProperty('delete');
    expect(JSON.stringify(doc.paths['/auth/login'])).toContain('passkey_required');
  });

  it('needs a signed-in caller, and a configured origin', async () => {
    const device = await TestDevice.create(s);
    const anonymous = await device.send('POST', '/auth/passkeys/registration-options');
    expect(anonymous.statusCode).toBe(401);
    const bare = await startTestServer(dialect);
    try {
      await bare.user('root', PASSWORD, 'admin');
      const d = await TestDevice.create(bare);
      const res = await d.call(
        await d.login('root', PASSWORD),
        'POST',
        '/auth/passkeys/registration-options',
      );
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('passkeys_not_configured');
    } finally {
      await bare.close();
    }
  });
});

describe('passkey relying party settings', () => {
  it('takes the origin and rp id from publicUrl, or from publicOrigin and rpId', () => {
    expect(resolveAuthConfig({ publicUrl: 'https://bulwark.example.com/api' }).passkeys).toMatchObject({
      origin: 'https://bulwark.example.com',
      rpId: 'bulwark.example.com',
      requireAdminPasskey: true,
    });
    expect(
      resolveAuthConfig({ publicOrigin: 'https://console.example.com', rpId: 'example.com' }).passkeys,
    ).toMatchObject({ origin: 'https://console.example.com', rpId: 'example.com' });
    expect(resolveAuthConfig({}).passkeys).toMatchObject({ origin: undefined, rpId: undefined });
  });

  it('refuses an origin WebAuthn would refuse: plain http off localhost, an rp id that does not cover it', () => {
    expect(() => resolveAuthConfig({ publicOrigin: 'http://bulwark.example.com' })).toThrow(ConfigError);
    expect(() =>
      resolveAuthConfig({ publicOrigin: 'https://bulwark.example.com', rpId: 'other.com' }),
    ).toThrow(ConfigError);
    expect(() => resolveAuthConfig({ publicOrigin: 'https://notexample.com', rpId: 'example.com' })).toThrow(
      ConfigError,
    );
    expect(() => resolveAuthConfig({ passkeyChallengeTtlSeconds: 0 })).toThrow(ConfigError);
  });
});

describe('errors.md', () => {
  it('documents every passkey code with the status the tests above see it answered with', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const rows = new Set(
      doc
        .split('\n')
        .map((l) => /^\| `([a-z_]+)` +\| (\d{3}) /.exec(l))
        .filter((m) => m !== null)
        .map((m) => `${m[1]} ${m[2]}`),
    );
    const answered = [
      'passkey_required 401',
      'passkey_challenge_invalid 401',
      'passkey_challenge_invalid 400',
      'passkey_not_registered 401',
      'passkey_invalid 401',
      'passkey_counter_regressed 401',
      'passkey_registration_failed 400',
      'passkey_not_found 404',
      'passkeys_not_configured 503',
    ];
    expect(answered.filter((pair) => !rows.has(pair))).toEqual([]);
  });
});
