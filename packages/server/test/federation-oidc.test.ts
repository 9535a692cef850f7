/**
 * OpenID Connect sign-in on both dialects, against a real oidc-provider on loopback (the happy
 * path, state, code reuse, PKCE, redirect URI) and a rogue provider that answers crafted ID
 * tokens (issuer, audience, signature, `alg: none`, expiry, nonce, `azp`, a future `iat`, a
 * subject no column holds). Every refusal is checked to leave no session and no account behind.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OidcProviderOptions } from '../src/identity/federation/config.js';
import { resolveFederationConfig } from '../src/identity/federation/config.js';
import { federationDb } from '../src/identity/federation/tables.js';
import { describeEachDialect } from './lib/databases.js';
import { startTestServer, TestDevice, type TestServer } from './lib/harness.js';
import { type RogueOp, startRogueOp, startTestOp, type TestOp } from './lib/oidc-op.js';

const APP_REDIRECT = 'com.example.bulwark:/oauth2redirect';

let op: TestOp;
let rogue: RogueOp;
let plainOnly: RogueOp;

beforeAll(async () => {
  op = await startTestOp();
  op.accounts.set('u-1001', {
    sub: 'u-1001',
    preferred_username: 'olivia',
    email: 'olivia@example.test',
    groups: ['bulwark-admins', 'field-south'],
  });
  op.accounts.set('u-1002', { sub: 'u-1002', preferred_username: 'oscar', groups: [] });
  rogue = await startRogueOp();
  plainOnly = await startRogueOp(['plain']);
});
afterAll(async () => {
  await op?.stop();
  await rogue?.stop();
  await plainOnly?.stop();
});

function oidc(
  overrides: Partial<OidcProviderOptions> & Pick<OidcProviderOptions, 'id' | 'issuer'>,
): OidcProviderOptions {
  return {
    kind: 'oidc',
    clientId: 'bulwark-mobile',
    redirectUris: [APP_REDIRECT],
    allowHttpLoopback: true,
    jit: true,
    mappings: [
      { claim: 'groups', equals: 'bulwark-admins', role: 'admin' },
      { claim: 'groups', equals: 'field-south', team: 'south' },
    ],
    ...overrides,
  };
}

it('refuses unsafe OIDC settings at start', () => {
  const base = { kind: 'oidc' as const, id: 'x', clientId: 'c', redirectUris: [APP_REDIRECT] };
  expect(() =>
    resolveFederationConfig({ providers: [{ ...base, issuer: 'http://idp.example.com' }] }),
  ).toThrow(/https/);
  expect(() =>
    resolveFederationConfig({
      providers: [{ ...base, issuer: 'http://idp.example.com', allowHttpLoopback: true }],
    }),
  ).toThrow(/https/);
  expect(() =>
    resolveFederationConfig({
      providers: [{ ...base, issuer: 'https://idp.example.com', idTokenAlgorithm: 'none' }],
    }),
  ).toThrow(/asymmetric/);
  expect(() =>
    resolveFederationConfig({
      providers: [
        { ...base, issuer: 'https://idp.example.com', redirectUris: ['http://app.example.com/cb'] },
      ],
    }),
  ).toThrow(/non-loopback/);
  expect(() =>
    resolveFederationConfig({
      providers: [{ ...base, issuer: 'https://idp.example.com', redirectUris: ['https://a.example/cb#x'] }],
    }),
  ).toThrow(/fragment/);
});

describeEachDialect('OIDC sign-in', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {
      federation: {
        providers: [
          oidc({ id: 'op', issuer: op.issuer }),
          oidc({ id: 'rogue', issuer: rogue.issuer }),
          oidc({ id: 'plain-only', issuer: plainOnly.issuer }),
        ],
      },
    });
    // The providers' clocks are real; the server's clock starts there too.
    s.clock.ms = Date.now();
  });
  afterAll(async () => {
    await s?.close();
  });

  async function start(device: TestDevice, provider: string, redirectUri = APP_REDIRECT) {
    return device.send('POST', `/auth/oidc/${provider}/start`, { body: { redirectUri } });
  }
  async function callback(device: TestDevice, provider: string, callbackUrl: string) {
    return device.send('POST', `/auth/oidc/${provider}/callback`, {
      body: { callbackUrl, device: device.declaration() },
    });
  }
  async function sessionsOf(deviceId: string) {
    return s.ctx.db.selectFrom('sessions').select('id').where('device_id', '=', deviceId).execute();
  }

  it('signs in through the provider with PKCE S256 into a DPoP-bound session', async () => {
    const device = await TestDevice.create(s);
    const started = await start(device, 'op');
    expect(started.statusCode).toBe(200);
    const authUrl = new URL(started.json().authorizationUrl);
    expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authUrl.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(authUrl.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(authUrl.searchParams.get('redirect_uri')).toBe(APP_REDIRECT);
    const callbackUrl = await op.authorize(authUrl.href, 'u-1001');
    expect(callbackUrl.startsWith(`${APP_REDIRECT}?`)).toBe(true);
    const res = await callback(device, 'op', callbackUrl);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ tokenType: 'DPoP', user: { username: 'olivia', role: 'admin' } });
    const me = await device.send('GET', '/me', { accessToken: body.accessToken });
    expect(me.json()).toMatchObject({ username: 'olivia', role: 'admin', deviceId: device.id });
    const teams = await s.ctx.db
      .selectFrom('user_teams')
      .select('team')
      .where('user_id', '=', body.user.id)
      .execute();
    expect(teams.map((t) => t.team)).toEqual(['south']);

    // The same code again (a replayed redirect): the state is spent, nothing new is issued.
    const again = await callback(device, 'op', callbackUrl);
    expect(again.json().code).toBe('oidc_state_invalid');
    expect(await sessionsOf(device.id)).toHaveLength(1);
  });

  it('refuses a reused authorization code at the provider', async () => {
    const device = await TestDevice.create(s);
    const first = new URL((await start(device, 'op')).json().authorizationUrl);
    const callbackUrl = await op.authorize(first.href, 'u-1002');
    expect((await callback(device, 'op', callbackUrl)).statusCode).toBe(200);
    // A second sign-in whose callback carries the first one's (spent) code with its own state.
    const second = new URL((await start(device, 'op')).json().authorizationUrl);
    const reused = new URL(callbackUrl);
    reused.searchParams.set('state', String(second.searchParams.get('state')));
    const res = await callback(device, 'op', reused.href);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('oidc_code_rejected');
    expect(await sessionsOf(device.id)).toHaveLength(1);
  });

  it("refuses a wrong, missing or another device's state", async () => {
    const device = await TestDevice.create(s);
    const authUrl = (await start(device, 'op')).json().authorizationUrl;
    const callbackUrl = new URL(await op.authorize(authUrl, 'u-1002'));
    const wrong = new URL(callbackUrl);
    wrong.searchParams.set('state', 'x'.repeat(43));
    expect((await callback(device, 'op', wrong.href)).json().code).toBe('oidc_state_invalid');
    const missing = new URL(callbackUrl);
    missing.searchParams.delete('state');
    expect((await callback(device, 'op', missing.href)).json().code).toBe('oidc_state_invalid');
    // Another device presenting this device's redirect (a stolen code and state) gets nothing.
    const thief = await TestDevice.create(s);
    expect((await callback(thief, 'op', callbackUrl.href)).json().code).toBe('oidc_state_invalid');
    expect(await sessionsOf(thief.id)).toHaveLength(0);
    // The rightful device still can.
    expect((await callback(device, 'op', callbackUrl.href)).statusCode).toBe(200);
  });

  it('refuses a state that expired, and stores nothing for a start', async () => {
    const device = await TestDevice.create(s);
    const rows = async () =>
      (await federationDb(s.ctx.db).selectFrom('federation_requests').select('id').execute()).length;
    const before = await rows();
    const authUrl = (await start(device, 'op')).json().authorizationUrl;
    expect(await rows()).toBe(before);
    const callbackUrl = await op.authorize(authUrl, 'u-1002');
    s.clock.advance(601);
    try {
      const res = await callback(device, 'op', callbackUrl);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('oidc_state_invalid');
      expect(await sessionsOf(device.id)).toHaveLength(0);
    } finally {
      s.clock.advance(-601);
    }
  });

  it('refuses a redirect URI that differs by one character, at start and at the callback', async () => {
    const device = await TestDevice.create(s);
    for (const uri of [
      `${APP_REDIRECT}x`,
      APP_REDIRECT.slice(0, -1),
      APP_REDIRECT.replace('bulwark', 'bulwarc'),
      `${APP_REDIRECT}/`,
    ]) {
      const res = await start(device, 'op', uri);
      expect(res.statusCode, uri).toBe(400);
      expect(res.json().code).toBe('oidc_redirect_uri_invalid');
    }
    const authUrl = (await start(device, 'op')).json().authorizationUrl;
    const callbackUrl = await op.authorize(authUrl, 'u-1002');
    const shifted = callbackUrl.replace('oauth2redirect', 'oauth2redirecx');
    const res = await callback(device, 'op', shifted);
    expect(res.json().code).toBe('oidc_redirect_uri_mismatch');
    expect(await sessionsOf(device.id)).toHaveLength(0);
  });

  it('never uses PKCE plain: a provider offering only plain is refused', async () => {
    const device = await TestDevice.create(s);
    const res = await start(device, 'plain-only');
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('identity_provider_error');
  });

  describe_rogue();

  function describe_rogue() {
    async function crafted(
      mutate: (claims: Record<string, unknown>, nonce: string) => Promise<string> | string,
    ): Promise<{ res: Awaited<ReturnType<typeof callback>>; device: TestDevice }> {
      const device = await TestDevice.create(s);
      const authUrl = new URL((await start(device, 'rogue')).json().authorizationUrl);
      const nonce = String(authUrl.searchParams.get('nonce'));
      const nowS = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: rogue.issuer,
        aud: 'bulwark-mobile',
        sub: 'rogue-user-1',
        preferred_username: 'rita',
        iat: nowS,
        exp: nowS + 300,
        nonce,
      };
      rogue.idToken = await mutate(claims, nonce);
      const res = await callback(
        device,
        'rogue',
        `${APP_REDIRECT}?code=rogue-code&state=${authUrl.searchParams.get('state')}`,
      );
      return { res, device };
    }
    const sign = (claims: Record<string, unknown>, key: CryptoKey = rogue.privateKey, kid = 'rogue-1') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);

    it('accepts a well-formed ID token from the rogue provider (the control case)', async () => {
      const { res } = await crafted((c) => sign(c));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().user.username).toBe('rita');
      const sent = rogue.tokenRequests.at(-1);
      expect(sent?.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
      expect(sent?.get('redirect_uri')).toBe(APP_REDIRECT);
    });

    const cases: [string, (c: Record<string, unknown>, nonce: string) => Promise<string> | string][] = [
      ['a wrong issuer', (c) => sign({ ...c, iss: 'https://evil.example' })],
      ['a wrong audience', (c) => sign({ ...c, aud: 'another-client' })],
      [
        'a bad signature',
        async (c) => {
          const { privateKey } = await generateKeyPair('RS256');
          return sign(c, privateKey as CryptoKey);
        },
      ],
      [
        'alg none',
        (c) => {
          const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
          return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(c)}.`;
        },
      ],
      [
        'an expired ID token',
        (c) =>
          sign({
            ...c,
            iat: Math.floor(Date.now() / 1000) - 7200,
            exp: Math.floor(Date.now() / 1000) - 3600,
          }),
      ],
      [
        'a missing nonce',
        (c) => {
          const { nonce: _drop, ...rest } = c;
          return sign(rest);
        },
      ],
      ['a wrong nonce', (c) => sign({ ...c, nonce: 'not-the-nonce-we-sent-0123456789' })],
      ['an audience list without azp', (c) => sign({ ...c, aud: ['bulwark-mobile', 'another-client'] })],
      ['azp naming another client', (c) => sign({ ...c, azp: 'another-client' })],
      [
        'an ID token issued an hour ahead',
        (c) =>
          sign({
            ...c,
            iat: Math.floor(Date.now() / 1000) + 3600,
            exp: Math.floor(Date.now() / 1000) + 7200,
          }),
      ],
    ];
    it('never names an account after an e-mail address the provider has not verified', async () => {
      const unverified = await crafted((c) => {
        const { preferred_username: _drop, ...rest } = c;
        return sign({ ...rest, sub: 'rogue-unverified-1', email: 'ceo@corp.example', email_verified: false });
      });
      expect(unverified.res.statusCode, unverified.res.body).toBe(200);
      expect(unverified.res.json().user.username).toBe('rogue-unverified-1');
      const verified = await crafted((c) => {
        const { preferred_username: _drop, ...rest } = c;
        return sign({ ...rest, sub: 'rogue-verified-1', email: 'cfo@corp.example', email_verified: true });
      });
      expect(verified.res.statusCode, verified.res.body).toBe(200);
      expect(verified.res.json().user.username).toBe('cfo@corp.example');
    });

    it('refuses a subject no database column could hold alike, before any lookup', async () => {
      for (const sub of ['rogue\u0000user', 'rogue\ud800user', 'rogue\u0085user']) {
        const { res, device } = await crafted((c) => sign({ ...c, sub, preferred_username: 'rhea' }));
        expect(res.statusCode, res.body).toBe(403);
        expect(res.json().code).toBe('federated_account_unknown');
        expect(await sessionsOf(device.id)).toHaveLength(0);
      }
    });

    for (const [name, mutate] of cases) {
      it(`refuses ${name}`, async () => {
        const before = await s.ctx.db
          .selectFrom('users')
          .select(s.ctx.db.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        const { res, device } = await crafted(mutate);
        expect(res.statusCode, res.body).toBe(401);
        expect(res.json().code).toBe('oidc_id_token_invalid');
        expect(await sessionsOf(device.id)).toHaveLength(0);
        const after = await s.ctx.db
          .selectFrom('users')
          .select(s.ctx.db.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        expect(Number(after.n)).toBe(Number(before.n));
      });
    }
  }
});
