/**
 * One negative test per DPoP check (RFC 9449 §4.3, §7.1, §8, §11.1) on an authenticated route,
 * on both dialects; each asserts the status, the stable problem code and the WWW-Authenticate
 * challenge. The valid proof passes.
 */
import { createHash, createSecretKey, KeyObject, randomUUID, sign } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { normalizeHtu } from '../src/dpop/htu.js';
import { EVENT_WINDOW_SECONDS } from '../src/identity/throttle.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, type Session, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function expectRefused(res: LightMyRequestResponse, code: string): void {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code });
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(String(res.headers['www-authenticate'])).toMatch(
    /^DPoP error="(invalid_dpop_proof|use_dpop_nonce|invalid_token)"/,
  );
}

describeEachDialect('DPoP', (dialect) => {
  let s: TestServer;
  let device: TestDevice;
  let session: Session;

  beforeEach(async () => {
    s = await startTestServer(dialect);
    await s.user('dora', PASSWORD);
    device = await TestDevice.create(s);
    session = await device.login('dora', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  /** GET /me with the session's token and the given DPoP header value(s). */
  const me = (dpop: string | undefined, authorization = `DPoP ${session.accessToken}`) =>
    s.app.inject({
      method: 'GET',
      url: '/me',
      headers: { authorization, ...(dpop === undefined ? {} : { dpop }) },
    });
  const proof = (options: Parameters<TestDevice['proof']>[2] = {}) =>
    device.proof('GET', '/me', { accessToken: session.accessToken, ...options });

  it('accepts a valid proof and hands out the current nonce', async () => {
    const res = await me(await proof());
    expect(res.statusCode).toBe(200);
    expect(res.headers['dpop-nonce']).toBe(s.ctx.dpop.nonces.current());
  });

  it('refuses a request without a DPoP header', async () => {
    expectRefused(await me(undefined), 'dpop_proof_missing');
  });

  it('refuses two DPoP headers', async () => {
    const res = await s.app.inject({
      method: 'GET',
      url: '/me',
      headers: { authorization: `DPoP ${session.accessToken}`, dpop: [await proof(), await proof()] },
    });
    expectRefused(res, 'dpop_proof_multiple');
  });

  it('refuses a proof that is not strict base64url (padding, standard alphabet)', async () => {
    const good = await proof();
    const [h, p, sig] = good.split('.');
    expectRefused(await me(`${h}=.${p}.${sig}`), 'dpop_proof_malformed');
    const std = Buffer.from(p ?? '', 'base64url').toString('base64');
    expectRefused(await me(`${h}.${std}.${sig}`), 'dpop_proof_malformed');
    expectRefused(await me('not-a-jws'), 'dpop_proof_malformed');
  });

  it('refuses a wrong typ', async () => {
    expectRefused(await me(await proof({ header: { typ: 'JWT' } })), 'dpop_proof_typ');
  });

  it('refuses alg none', async () => {
    const header = { alg: 'none', typ: 'dpop+jwt', jwk: device.publicJwk };
    const payload = { jti: randomUUID(), htm: 'GET', htu: 'http://localhost/me', iat: s.clock.ms / 1000 };
    expectRefused(await me(`${b64(header)}.${b64(payload)}.`), 'dpop_proof_alg');
  });

  it('refuses HS256 (a symmetric key made from the public key)', async () => {
    const secret = createSecretKey(Buffer.from(JSON.stringify(device.publicJwk)));
    const forged = await new SignJWT({
      jti: randomUUID(),
      htm: 'GET',
      htu: 'http://localhost/me',
      iat: Math.floor(s.clock.ms / 1000),
      nonce: device.nonce,
      ath: createHash('sha256').update(session.accessToken).digest('base64url'),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: device.publicJwk } as never)
      .sign(secret);
    expectRefused(await me(forged), 'dpop_proof_alg');
  });

  it('refuses a jwk that carries a private key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const priv = await exportJWK(privateKey);
    expectRefused(await me(await proof({ header: { jwk: priv }, signWith: privateKey })), 'dpop_proof_jwk');
  });

  it('refuses a jwk whose point is not on P-256, and a jwk of another curve', async () => {
    const y = Buffer.from(String(device.publicJwk.y), 'base64url');
    y[31] = (y[31] ?? 0) ^ 1;
    const offCurve = { ...device.publicJwk, y: y.toString('base64url') };
    expectRefused(await me(await proof({ header: { jwk: offCurve } })), 'dpop_proof_jwk');
    expectRefused(
      await me(await proof({ header: { jwk: { ...device.publicJwk, crv: 'P-384' } } })),
      'dpop_proof_jwk',
    );
    expectRefused(await me(await proof({ header: { jwk: undefined } })), 'dpop_proof_jwk');
  });

  it('refuses a bad signature', async () => {
    const other = await generateKeyPair('ES256');
    expectRefused(await me(await proof({ signWith: other.privateKey })), 'dpop_proof_signature');
    const good = await proof();
    const flipped = `${good.slice(0, -6)}${good.slice(-6) === 'AAAAAA' ? 'BAAAAA' : 'AAAAAA'}`;
    expectRefused(await me(flipped), 'dpop_proof_signature');
  });

  /** A proof put together by hand and signed with the device key in the given signature form. */
  const handMade = (header: Record<string, unknown>, dsaEncoding: 'ieee-p1363' | 'der' = 'ieee-p1363') => {
    const h = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: device.publicJwk, ...header });
    const p = b64({
      jti: randomUUID(),
      htm: 'GET',
      htu: 'http://localhost/me',
      iat: Math.floor(s.clock.ms / 1000),
      nonce: device.nonce,
      ath: createHash('sha256').update(session.accessToken).digest('base64url'),
    });
    const key = KeyObject.from(device.privateKey);
    const signature = sign('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding });
    return `${h}.${p}.${signature.toString('base64url')}`;
  };

  it('checks the signature in its JWS form only (r||s, 64 bytes), whatever verifies elsewhere', async () => {
    expect((await me(handMade({}))).statusCode).toBe(200);
    // The same signature DER-encoded verifies with the right key in node:crypto's default form.
    expectRefused(await me(handMade({}, 'der')), 'dpop_proof_signature');
    const good = handMade({});
    const [h, p, sig] = good.split('.');
    const raw = Buffer.from(String(sig), 'base64url');
    expectRefused(await me(`${h}.${p}.${raw.subarray(0, 63).toString('base64url')}`), 'dpop_proof_signature');
    expectRefused(
      await me(`${h}.${p}.${Buffer.concat([raw, Buffer.alloc(1)]).toString('base64url')}`),
      'dpop_proof_signature',
    );
  });

  it('refuses a header with crit or b64 (no JWS extension is understood)', async () => {
    expectRefused(await me(handMade({ crit: ['exp'], exp: 1 })), 'dpop_proof_malformed');
    expectRefused(await me(handMade({ b64: false, crit: ['b64'] })), 'dpop_proof_malformed');
    expectRefused(await me(handMade({ b64: true })), 'dpop_proof_malformed');
  });

  it('refuses a wrong htm', async () => {
    expectRefused(await me(await proof({ payload: { htm: 'POST' } })), 'dpop_proof_htm');
  });

  it('refuses a wrong htu but accepts the normalised forms of the right one', async () => {
    expectRefused(
      await me(await proof({ payload: { htu: 'http://localhost/admin/users' } })),
      'dpop_proof_htu',
    );
    expectRefused(await me(await proof({ payload: { htu: 'http://evil.example/me' } })), 'dpop_proof_htu');
    expectRefused(await me(await proof({ payload: { htu: 'https://localhost/me' } })), 'dpop_proof_htu');
    expectRefused(await me(await proof({ payload: { htu: '/me' } })), 'dpop_proof_htu');
    for (const htu of [
      'HTTP://LOCALHOST:80/me',
      'http://localhost/me?x=1#frag',
      'http://localhost/a/../me',
    ]) {
      expect((await me(await proof({ payload: { htu } }))).statusCode).toBe(200);
    }
    expect(normalizeHtu('https://Api.Example.com:443/%7Euser/x')).toBe('https://api.example.com/~user/x');
    expect(normalizeHtu('https://api.example.com:8443/x')).toBe('https://api.example.com:8443/x');
  });

  it('refuses the near misses of the right htu: other path spelling, port, scheme, user info', async () => {
    for (const htu of [
      'http://localhost/me/',
      'http://localhost//me',
      'http://localhost/ME',
      'http://localhost/%6De/x/..%2F',
      'http://localhost/m%65%2F',
      'http://localhost:8080/me',
      'http://localhost:0/me',
      'https://localhost:80/me',
      'http://user@localhost/me',
      'http://localhost.:80/me',
      'ws://localhost/me',
      'localhost/me',
      '',
    ]) {
      expectRefused(await me(await proof({ payload: { htu } })), 'dpop_proof_htu');
    }
    for (const htu of [42, null, ['http://localhost/me'], { href: 'http://localhost/me' }]) {
      expectRefused(await me(await proof({ payload: { htu } })), 'dpop_proof_htu');
    }
    // The same URI, spelled otherwise: percent-encoded unreserved characters.
    expect((await me(await proof({ payload: { htu: 'http://localhost/%6D%65' } }))).statusCode).toBe(200);
  });

  it('refuses a typ, htm or iat of the wrong shape, and keeps the key thumbprint whatever else the jwk says', async () => {
    for (const typ of ['DPOP+JWT', 'application/dpop+jwt', 'JWT', 'dpop+jwt ', undefined]) {
      expectRefused(await me(await proof({ header: { typ } })), 'dpop_proof_typ');
    }
    for (const htm of ['get', 'Get', ' GET', 'GET ', 'HEAD', ['GET']]) {
      expectRefused(await me(await proof({ payload: { htm } })), 'dpop_proof_htm');
    }
    const now = Math.floor(s.clock.ms / 1000);
    for (const iat of [String(now), `${now}`, null, [now], { now }, true]) {
      expectRefused(await me(await proof({ payload: { iat } })), 'dpop_proof_iat');
    }
    // Public members beside the key's own change nothing: the token is bound to the key's thumbprint.
    const extra = { ...device.publicJwk, alg: 'ES256', use: 'sig', kid: 'k1', key_ops: ['verify'] };
    expect((await me(await proof({ header: { jwk: extra } }))).statusCode).toBe(200);
    // A jwk that names another key, with this device's signature, is that other key's proof.
    const { publicKey } = await generateKeyPair('ES256');
    const theirs = await exportJWK(publicKey);
    expectRefused(
      await me(await proof({ header: { jwk: { kty: 'EC', crv: 'P-256', x: theirs.x, y: theirs.y } } })),
      'dpop_proof_signature',
    );
  });

  it('refuses a stale iat and an iat in the future', async () => {
    const now = Math.floor(s.clock.ms / 1000);
    const { maxAgeSeconds, futureSkewSeconds } = s.ctx.config.dpop;
    expectRefused(await me(await proof({ iat: now - maxAgeSeconds - 1 })), 'dpop_proof_iat');
    expectRefused(await me(await proof({ iat: now + futureSkewSeconds + 2 })), 'dpop_proof_iat');
    expect((await me(await proof({ iat: now - maxAgeSeconds + 1 }))).statusCode).toBe(200);
  });

  it('refuses a proof without jti', async () => {
    expectRefused(await me(await proof({ payload: { jti: undefined } })), 'dpop_proof_jti');
  });

  it('refuses a replayed proof (same key and jti) and records it', async () => {
    const once = await proof();
    expect((await me(once)).statusCode).toBe(200);
    expectRefused(await me(once), 'dpop_proof_replayed');
    // A new proof that reuses only the jti is a replay too.
    const jti = randomUUID();
    expect((await me(await proof({ jti }))).statusCode).toBe(200);
    expectRefused(await me(await proof({ jti })), 'dpop_proof_replayed');
    // One event per client address and minute of replays, not one per replayed request.
    expect(await s.ctx.events.list({ type: 'dpop_replay' })).toHaveLength(1);
    s.clock.advance(EVENT_WINDOW_SECONDS);
    const later = await proof();
    expect((await me(later)).statusCode).toBe(200);
    expectRefused(await me(later), 'dpop_proof_replayed');
    expect(await s.ctx.events.list({ type: 'dpop_replay' })).toHaveLength(2);
  });

  it('records a flood of replays from one address as one event a minute, each still refused', async () => {
    const once = await proof();
    expect((await me(once)).statusCode).toBe(200);
    for (let i = 0; i < 40; i += 1) expectRefused(await me(once), 'dpop_proof_replayed');
    const events = await s.ctx.events.list({ type: 'dpop_replay' });
    expect(events).toHaveLength(1);
    const head = await s.ctx.events.list({ limit: 1000 });
    expect(head.filter((e) => e.type === 'dpop_replay')).toHaveLength(1);
  });

  it('refuses a wrong or missing ath', async () => {
    expectRefused(await me(await proof({ payload: { ath: 'A'.repeat(43) } })), 'dpop_proof_ath');
    expectRefused(await me(await proof({ payload: { ath: undefined } })), 'dpop_proof_ath');
  });

  it("refuses another key's proof with this device's token", async () => {
    const thief = await TestDevice.create(s);
    thief.nonce = device.nonce;
    const stolen = await thief.proof('GET', '/me', { accessToken: session.accessToken });
    expectRefused(await me(stolen), 'dpop_key_mismatch');
  });

  it('asks for the nonce when it is missing, stale or forged', async () => {
    const missing = await me(await proof({ nonce: null }));
    expectRefused(missing, 'use_dpop_nonce');
    expect(missing.headers['dpop-nonce']).toBe(s.ctx.dpop.nonces.current());
    expect(missing.headers['www-authenticate']).toContain('use_dpop_nonce');
    expectRefused(await me(await proof({ nonce: 'zz.forgedforgedforgedforge' })), 'use_dpop_nonce');
    const old = s.ctx.dpop.nonces.current();
    s.clock.advance(s.ctx.config.dpop.nonceLifetimeSeconds * 2);
    expect((await device.refresh(session)).statusCode).toBe(200);
    expect(device.nonce).not.toBe(old);
    expectRefused(await me(await proof({ nonce: old })), 'use_dpop_nonce');
    expect((await me(await proof())).statusCode).toBe(200);
  });

  it('refuses a DPoP-bound token presented as a Bearer token', async () => {
    const res = await me(undefined, `Bearer ${session.accessToken}`);
    expectRefused(res, 'bearer_not_accepted');
    expectRefused(await me(await proof(), `Bearer ${session.accessToken}`), 'bearer_not_accepted');
  });

  it('refuses a missing, forged or expired access token', async () => {
    expectRefused(
      await s.app.inject({ method: 'GET', url: '/me', headers: { dpop: await proof() } }),
      'token_missing',
    );
    const [h, , sig] = session.accessToken.split('.');
    const forged = `${h}.${b64({ sub: 'someone-else', did: device.id, sid: 'x', cnf: { jkt: device.jkt } })}.${sig}`;
    expectRefused(await me(await proof({ accessToken: forged }), `DPoP ${forged}`), 'invalid_token');
    s.clock.advance(s.ctx.config.accessTokenTtlSeconds + 1);
    expectRefused(await me(await proof({ nonce: s.ctx.dpop.nonces.current() })), 'token_expired');
  });

  it('refuses a login whose declared key is not the proof key', async () => {
    const other = await TestDevice.create(s);
    const res = await device.send('POST', '/auth/login', {
      body: { username: 'dora', password: PASSWORD, device: { ...other.declaration(), id: device.id } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('device_key_mismatch');
  });
});

describeEachDialect('DPoP with a public URL', (dialect) => {
  const PUBLIC = 'https://api.example.com';
  let s: TestServer;
  let device: TestDevice;

  beforeEach(async () => {
    s = await startTestServer(dialect, { publicUrl: PUBLIC });
    await s.user('dora', PASSWORD);
    device = await TestDevice.create(s);
    device.nonce = s.ctx.dpop.nonces.current();
  });
  afterEach(async () => {
    await s.close();
  });

  /** A request to `path` whose proof names `htu`, sent with the Host header `host`. */
  const call = async (
    method: 'GET' | 'POST',
    path: string,
    htu: string,
    host: string,
    token?: string,
    body?: object,
  ) =>
    s.app.inject({
      method,
      url: path,
      headers: {
        host,
        dpop: await device.proof(method, path, {
          payload: { htu },
          ...(token === undefined ? {} : { accessToken: token }),
        }),
        ...(token === undefined ? {} : { authorization: `DPoP ${token}` }),
      },
      ...(body === undefined ? {} : { payload: body }),
    });

  it('checks htu against the public URL, whatever Host the request claims', async () => {
    const login = { username: 'dora', password: PASSWORD, device: device.declaration() };
    // A proof made for the Host a request claims is not one made for this server.
    expectRefused(
      await call('POST', '/auth/login', 'http://evil.example/auth/login', 'evil.example', undefined, login),
      'dpop_proof_htu',
    );
    expectRefused(
      await call('POST', '/auth/login', 'http://localhost/auth/login', 'localhost', undefined, login),
      'dpop_proof_htu',
    );
    const res = await call('POST', '/auth/login', `${PUBLIC}/auth/login`, 'evil.example', undefined, login);
    expect(res.statusCode, res.body).toBe(200);
    const token = res.json().accessToken as string;
    for (const [htu, host] of [
      ['http://evil.example/me', 'evil.example'],
      ['http://api.example.com/me', 'api.example.com'],
      ['https://api.example.com:8443/me', 'api.example.com:8443'],
      ['https://api.example.com.evil.example/me', 'api.example.com.evil.example'],
    ] as const) {
      expectRefused(await call('GET', '/me', htu, host, token), 'dpop_proof_htu');
    }
    const ok = await call('GET', '/me', `${PUBLIC}/me`, 'internal:8080', token);
    expect(ok.statusCode, ok.body).toBe(200);
    const upper = await call('GET', '/me', 'HTTPS://API.EXAMPLE.COM:443/me', 'internal:8080', token);
    expect(upper.statusCode, upper.body).toBe(200);
  });
});
