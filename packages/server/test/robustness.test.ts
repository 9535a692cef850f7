/**
 * Bad input to the identity routes on both dialects: generated bodies and headers always get a
 * 4xx problem+json with a stable code — never a 5xx, never a token — and nothing is stored; two
 * DPoP header lines over a real socket are refused.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

const RUNS = 150;

describeEachDialect('robustness', (dialect) => {
  let s: TestServer;
  let device: TestDevice;

  beforeEach(async () => {
    s = await startTestServer(dialect);
    await s.user('jane', PASSWORD);
    device = await TestDevice.create(s);
    device.nonce = s.ctx.dpop.nonces.current();
  });
  afterEach(async () => {
    await s.close();
  });

  const counts = async () =>
    JSON.stringify(
      await Promise.all(
        (['users', 'devices', 'sessions', 'refresh_tokens'] as const).map(async (t) =>
          s.ctx.db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirst(),
        ),
      ),
    );

  const anyJson = fc.oneof(
    fc.json({ maxDepth: 4 }).map((text) => text),
    fc
      .record(
        {
          username: fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null)),
          password: fc.oneof(fc.string({ maxLength: 300 }), fc.constant(PASSWORD), fc.boolean()),
          device: fc.oneof(
            fc.constant(undefined),
            fc.record({
              id: fc.oneof(fc.uuid(), fc.string({ maxLength: 50 })),
              publicKey: fc.oneof(fc.object({ maxDepth: 1 }), fc.constant(null)),
              platform: fc.string({ maxLength: 60 }),
              osVersion: fc.string({ maxLength: 60 }),
              appVersion: fc.string({ maxLength: 60 }),
              posture: fc.oneof(fc.object({ maxDepth: 1 }), fc.constant('rooted')),
            }),
          ),
          refreshToken: fc.string({ maxLength: 300 }),
          receipt: fc.string({ maxLength: 300 }),
          __proto__: fc.constant({ polluted: true }),
        },
        { requiredKeys: [] },
      )
      .map((body) => JSON.stringify(body)),
  );

  it('answers generated bodies on the public identity routes with 4xx problem+json only', async () => {
    const before = await counts();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/auth/login', '/auth/refresh', '/devices/wipe-receipt'),
        anyJson,
        async (url, payload) => {
          const dpop = await device.proof('POST', url);
          const res = await s.app.inject({
            method: 'POST',
            url,
            headers: { dpop, 'content-type': 'application/json' },
            payload,
          });
          expect(res.statusCode).toBeGreaterThanOrEqual(400);
          expect(res.statusCode).toBeLessThan(500);
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(res.json().code).toMatch(/^[a-z_]+$/);
          expect(res.body).not.toContain('accessToken');
        },
      ),
      { numRuns: RUNS },
    );
    expect(await counts()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers generated DPoP and Authorization headers with 401, never a 5xx', async () => {
    const session = await device.login('jane', PASSWORD);
    const token = session.accessToken;
    const good = await device.proof('GET', '/me', { accessToken: token });
    // Header values are printable ASCII: anything else never reaches a server through HTTP/1.1.
    const mutate = fc.oneof(
      fc.string({ unit: 'grapheme-ascii', maxLength: 400 }),
      fc.base64String({ maxLength: 400 }),
      fc
        .tuple(fc.nat(good.length - 1), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }))
        .map(([i, c]) => good.slice(0, i) + c + good.slice(i + 1)),
      fc.nat(good.length).map((i) => good.slice(0, i)),
    );
    await fc.assert(
      fc.asyncProperty(
        mutate,
        fc.constantFrom(`DPoP ${token}`, 'DPoP', `Bearer ${token}`, `DPoP  ${token}`),
        async (dpop, authorization) => {
          const res = await s.app.inject({ method: 'GET', url: '/me', headers: { dpop, authorization } });
          if (res.statusCode === 200) {
            // Only the untouched proof could pass, and only once.
            expect(dpop).toBe(good);
            return;
          }
          expect([400, 401]).toContain(res.statusCode);
          expect(res.headers['content-type']).toContain('application/problem+json');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses two DPoP header lines sent over a real socket', async () => {
    const session = await device.login('jane', PASSWORD);
    const address = await s.app.listen({ host: '127.0.0.1', port: 0 });
    const port = new URL(address).port;
    const htu = `http://127.0.0.1:${port}/me`;
    const p1 = await device.proof('GET', htu, { accessToken: session.accessToken });
    const p2 = await device.proof('GET', htu, { accessToken: session.accessToken });
    const send = (dpop: string | string[]) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/me',
            headers: { authorization: `DPoP ${session.accessToken}`, dpop },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const twice = await send([p1, p2]);
    expect(twice.status).toBe(401);
    expect(JSON.parse(twice.body).code).toBe('dpop_proof_multiple');
    const once = await send(p1);
    expect(once.status).toBe(200);
  });
});
