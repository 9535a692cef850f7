/**
 * A loop of unfinished OIDC and SAML sign-in starts is bounded: per client address (an IPv6
 * client by its /64) with the login throttle's rate-limiter, on both dialects and in Redis. An
 * OIDC start stores nothing (its state is a MAC'd token), so a flood from many addresses fills no
 * table; a SAML start stores its request for ten minutes, and a cap on outstanding requests
 * refuses new SAML starts without evicting those in flight. An honest user's sign-in, through a
 * real oidc-provider, goes through while the flood is refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthOptions } from '../src/config.js';
import { resolveAuthConfig } from '../src/config.js';
import type { OidcProviderOptions, SamlProviderOptions } from '../src/identity/federation/config.js';
import { resolveFederationConfig } from '../src/identity/federation/config.js';
import { federationDb } from '../src/identity/federation/tables.js';
import { LoginThrottle } from '../src/identity/throttle.js';
import { connectRedis } from '../src/shared/redis.js';
import { describeEachDialect } from './lib/databases.js';
import { startTestServer, TestDevice, type TestServer } from './lib/harness.js';
import { startTestOp, type TestOp } from './lib/oidc-op.js';
import { TestIdp } from './lib/saml-idp.js';
import { describeWithRedis, startRedis } from './lib/services.js';

const APP_REDIRECT = 'com.example.bulwark:/oauth2redirect';
const SAML_REDIRECT = 'com.example.bulwark:/saml-done';
const ATTACKER = '203.0.113.66';
const HONEST = '198.51.100.7';
const LIMIT = 5;

let op: TestOp;
const idp = new TestIdp();

beforeAll(async () => {
  op = await startTestOp();
  op.accounts.set('u-3001', { sub: 'u-3001', preferred_username: 'hanna', groups: [] });
});
afterAll(async () => {
  await op?.stop();
});

function oidc(): OidcProviderOptions {
  return {
    kind: 'oidc',
    id: 'op',
    issuer: op.issuer,
    clientId: 'bulwark-mobile',
    redirectUris: [APP_REDIRECT],
    allowHttpLoopback: true,
    jit: true,
  };
}

function saml(): SamlProviderOptions {
  return {
    kind: 'saml',
    id: 'okta',
    entityId: 'https://bulwark.example.test/saml',
    acsUrl: 'https://bulwark.example.test/auth/saml/okta/acs',
    idpSsoUrl: idp.ssoUrl,
    idpEntityId: idp.entityId,
    idpCert: idp.publicKeyPem,
    redirectUris: [SAML_REDIRECT],
    jit: true,
  };
}

it('refuses a cap of outstanding sign-ins below 1', () => {
  expect(() => resolveFederationConfig({ maxPendingSignIns: 0 })).toThrow(/maxPendingSignIns/);
  expect(() => resolveFederationConfig({ maxPendingSignIns: 2.5 })).toThrow(/maxPendingSignIns/);
  expect(resolveFederationConfig({}).maxPendingSignIns).toBe(10_000);
});

describeEachDialect('Sign-in start flood', (dialect) => {
  let s: TestServer;
  afterEach(async () => {
    await s?.close();
  });

  async function server(auth: AuthOptions = {}) {
    s = await startTestServer(dialect, {
      throttle: { signInStartsPerIp: LIMIT },
      federation: { providers: [oidc(), saml()] },
      ...auth,
    });
    // The provider's clock is real; the server's starts there.
    s.clock.ms = Date.now();
  }
  const startOidc = (device: TestDevice, ip: string) =>
    device.send('POST', '/auth/oidc/op/start', { body: { redirectUri: APP_REDIRECT }, ip });
  const startSaml = (device: TestDevice, ip: string) =>
    device.send('POST', '/auth/saml/okta/start', { body: { redirectUri: SAML_REDIRECT }, ip });
  const pendingRows = async () =>
    Number(
      (
        await federationDb(s.ctx.db)
          .selectFrom('federation_requests')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  async function signIn(ip: string, finishIp = ip) {
    const device = await TestDevice.create(s);
    const started = await startOidc(device, ip);
    expect(started.statusCode, started.body).toBe(200);
    const callbackUrl = await op.authorize(started.json().authorizationUrl, 'u-3001');
    return device.send('POST', '/auth/oidc/op/callback', {
      body: { callbackUrl, device: device.declaration() },
      ip: finishIp,
    });
  }

  it("throttles one address's unfinished starts; an honest user elsewhere signs in meanwhile", async () => {
    await server();
    const attacker = await TestDevice.create(s);
    for (let i = 0; i < LIMIT; i++) expect((await startOidc(attacker, ATTACKER)).statusCode).toBe(200);
    // An OIDC start stores nothing.
    const rowsAtLimit = await pendingRows();
    expect(rowsAtLimit).toBe(0);
    for (let i = 0; i < 20; i++) {
      // A fresh device key each time changes nothing: the address is what is counted.
      const res = await startOidc(i % 2 === 0 ? attacker : await TestDevice.create(s), ATTACKER);
      expect(res.statusCode).toBe(429);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 429, code: 'login_throttled' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(600);
    }
    // SAML starts share the address's budget.
    expect((await startSaml(attacker, ATTACKER)).statusCode).toBe(429);
    expect(await pendingRows()).toBe(rowsAtLimit);

    const honest = await signIn(HONEST);
    expect(honest.statusCode, honest.body).toBe(200);
    expect(honest.json().user.username).toBe('hanna');

    // One security event for the flood, not one per refused request.
    await s.ctx.events.flush();
    const throttled = await s.ctx.events.list({ type: 'login_throttled' });
    expect(throttled).toHaveLength(1);
    expect(throttled[0]).toMatchObject({
      ip: ATTACKER,
      data: { limit: 'sign_in_starts_ip', provider: 'op' },
    });

    // The window passes: the address may start again; the honest sign-in's spent state is
    // swept at the next finished sign-in once it has expired.
    expect(await pendingRows()).toBe(1);
    s.clock.advance(601);
    expect((await startOidc(attacker, ATTACKER)).statusCode).toBe(200);
    const next = await signIn(HONEST);
    expect(next.statusCode, next.body).toBe(200);
    expect(await pendingRows()).toBe(1);
  });

  it('counts an IPv6 client by its /64: rotating addresses inside it does not help', async () => {
    await server();
    const device = await TestDevice.create(s);
    for (let i = 1; i <= LIMIT; i++) {
      expect((await startSaml(device, `2001:db8:7:1::${i.toString(16)}`)).statusCode).toBe(200);
    }
    const rotated = await startSaml(device, '2001:db8:7:1:ffff:ffff:ffff:ffff');
    expect(rotated.statusCode).toBe(429);
    expect(rotated.json().code).toBe('login_throttled');
    // The IPv4-mapped spelling of an address is that address.
    for (let i = 0; i < LIMIT; i++) expect((await startOidc(device, '192.0.2.9')).statusCode).toBe(200);
    expect((await startOidc(device, '::ffff:192.0.2.9')).statusCode).toBe(429);
    // Another /64 is another client.
    expect((await startSaml(device, '2001:db8:7:2::1')).statusCode).toBe(200);
  });

  it('gives a finished sign-in its start back, and never more than was taken', async () => {
    await server();
    // Many people behind one address (an office NAT) who finish their sign-ins are not limited.
    for (let i = 0; i < LIMIT + 3; i++) {
      const res = await signIn(HONEST);
      expect(res.statusCode, res.body).toBe(200);
    }
    // Finishing at an address that started nothing banks nothing there.
    const moved = await signIn('192.0.2.50', '192.0.2.51');
    expect(moved.statusCode, moved.body).toBe(200);
    const device = await TestDevice.create(s);
    for (let i = 0; i < LIMIT; i++) expect((await startOidc(device, '192.0.2.51')).statusCode).toBe(200);
    expect((await startOidc(device, '192.0.2.51')).statusCode).toBe(429);
  });

  it('an OIDC flood from many addresses fills nothing; SAML starts are capped, expired ones make room', async () => {
    const CAP = 6;
    await server({
      throttle: { signInStartsPerIp: 1_000 },
      federation: { providers: [oidc(), saml()], maxPendingSignIns: CAP },
    });
    // The honest user starts first, then many addresses flood the OIDC start: nothing is stored,
    // so nothing fills up and nobody is refused.
    const honest = await TestDevice.create(s);
    const started = await startOidc(honest, HONEST);
    expect(started.statusCode).toBe(200);
    const flooder = await TestDevice.create(s);
    for (let n = 1; n <= 3 * CAP; n++) {
      expect((await startOidc(flooder, `192.0.2.${n}`)).statusCode).toBe(200);
    }
    expect(await pendingRows()).toBe(0);
    // SAML starts store their requests (two rows each) up to the cap, then are refused.
    let n = 0;
    while ((await pendingRows()) < CAP) {
      n += 1;
      expect((await startSaml(flooder, `192.0.2.${100 + n}`)).statusCode).toBe(200);
    }
    for (let i = 0; i < 5; i++) {
      const refused = await startSaml(flooder, `192.0.2.${150 + i}`);
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ status: 503, code: 'server_busy' });
      const retry = Number(refused.headers['retry-after']);
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(600);
    }
    expect(await pendingRows()).toBe(CAP);
    // OIDC starts are still accepted while the SAML requests fill the cap.
    expect((await startOidc(flooder, '192.0.2.200')).statusCode).toBe(200);

    // The sign-in that was in flight finishes.
    const callbackUrl = await op.authorize(started.json().authorizationUrl, 'u-3001');
    const done = await honest.send('POST', '/auth/oidc/op/callback', {
      body: { callbackUrl, device: honest.declaration() },
      ip: HONEST,
    });
    expect(done.statusCode, done.body).toBe(200);

    // Once the flood's requests expire they are swept and SAML starts are accepted again.
    s.clock.advance(601);
    expect((await startSaml(flooder, '192.0.2.250')).statusCode).toBe(200);
    expect(await pendingRows()).toBe(2);
  });
});

describeWithRedis('Sign-in start throttle in Redis', () => {
  it('is shared by every node and refuses (never lets through) when Redis does not answer', async () => {
    const server = await startRedis();
    const a = await connectRedis(server.url);
    const b = await connectRedis(server.url);
    try {
      const config = resolveAuthConfig({ throttle: { signInStartsPerIp: 3 } }).throttle;
      const nodeA = new LoginThrottle({ redis: a }, config, Date.now);
      const nodeB = new LoginThrottle({ redis: b }, config, Date.now);
      expect((await nodeA.beginSignInStart('2001:db8:9::1')).allowed).toBe(true);
      expect((await nodeB.beginSignInStart('2001:db8:9::2')).allowed).toBe(true);
      // A sign-in finished on the other node gives its start back.
      await nodeB.signInFinished('2001:db8:9::6');
      expect((await nodeA.beginSignInStart('2001:db8:9::3')).allowed).toBe(true);
      expect((await nodeB.beginSignInStart('2001:db8:9::4')).allowed).toBe(true);
      const refused = await nodeB.beginSignInStart('2001:db8:9:0:1::4');
      expect(refused).toMatchObject({ allowed: false, limit: 'sign_in_starts_ip', first: true });
      expect(await nodeA.beginSignInStart('2001:db8:9::5')).toMatchObject({ allowed: false, first: false });
      // Another /64 is another client.
      expect((await nodeA.beginSignInStart('2001:db8:9:1::1')).allowed).toBe(true);
      await server.stop();
      await expect(nodeA.beginSignInStart('198.51.100.1')).rejects.toMatchObject({
        status: 503,
        code: 'redis_unavailable',
      });
    } finally {
      a.disconnect();
      b.disconnect();
      await server.dispose();
    }
  });
});

describe('Sign-in start throttle without Redis', () => {
  it('starts from the documented defaults', () => {
    const config = resolveAuthConfig({}).throttle;
    expect(config.signInStartsPerIp).toBe(30);
    expect(config.signInStartWindowSeconds).toBe(600);
  });
});
