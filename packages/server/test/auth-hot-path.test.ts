/**
 * The shortcuts of the authentication hot path must not weaken any check: a cached proof header
 * still needs a valid signature on every proof, an uncacheable (padded) header is still checked,
 * the replay cache and revocation work across nodes that share a database whatever each node
 * has cached, queries compiled once bind each call's arguments, and the fast strict-base64url
 * check agrees with decoding and re-encoding. On both dialects.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { generateKeyPair } from 'jose';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createServerContext } from '../src/context.js';
import type { Database } from '../src/db/schema.js';
import { revokeDevice } from '../src/devices/registry.js';
import { normalizeHtu, requestHtu } from '../src/dpop/htu.js';
import { compileOnce } from '../src/lib/compiled-query.js';
import { isStrictBase64url } from '../src/lib/encoding.js';
import { connectRedis } from '../src/shared/redis.js';
import { describeEachDialect } from './lib/databases.js';
import {
  PASSWORD,
  type Session,
  startTestServer,
  TEST_AUTH,
  TestDevice,
  type TestServer,
} from './lib/harness.js';
import { startRedis } from './lib/services.js';

describeEachDialect('Authentication hot path', (dialect) => {
  let s: TestServer;
  let device: TestDevice;
  let session: Session;

  beforeEach(async () => {
    s = await startTestServer(dialect);
    await s.user('hana', PASSWORD);
    device = await TestDevice.create(s);
    session = await device.login('hana', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  const me = async (app: FastifyInstance, dpop: string) =>
    app.inject({
      method: 'GET',
      url: '/me',
      headers: { authorization: `DPoP ${session.accessToken}`, dpop },
    });
  const proof = (options: Parameters<TestDevice['proof']>[2] = {}) =>
    device.proof('GET', '/me', { accessToken: session.accessToken, ...options });

  it('checks the signature of every proof, also when its header is already cached', async () => {
    expect((await me(s.app, await proof())).statusCode).toBe(200);
    const other = await generateKeyPair('ES256');
    for (let i = 0; i < 3; i += 1) {
      const res = await me(s.app, await proof({ signWith: other.privateKey }));
      expect({ status: res.statusCode, code: res.json().code }).toEqual({
        status: 401,
        code: 'dpop_proof_signature',
      });
    }
    expect((await me(s.app, await proof())).statusCode).toBe(200);
  });

  it('checks a padded header too long to cache, on every request', async () => {
    const header = { pad: 'p'.repeat(600) };
    expect((await me(s.app, await proof({ header }))).statusCode).toBe(200);
    expect((await me(s.app, await proof({ header }))).statusCode).toBe(200);
    const other = await generateKeyPair('ES256');
    const forged = await me(s.app, await proof({ header, signWith: other.privateKey }));
    expect(forged.json().code).toBe('dpop_proof_signature');
    const wrongTyp = await me(s.app, await proof({ header: { ...header, typ: 'JWT' } }));
    expect(wrongTyp.json().code).toBe('dpop_proof_typ');
  });

  it('shares the replay cache and sees revocation and disabling across nodes, whatever each has cached', async () => {
    // A second node on the same database, with caches of its own.
    const ctxB = await createServerContext({
      db: s.database.db,
      cache: s.database.cache,
      now: s.clock.now,
      auth: TEST_AUTH,
    });
    const nodeB = await buildApp({ db: s.database.db, context: ctxB, logger: false });
    await nodeB.ready();
    try {
      // Both nodes have now verified the token and cached the proof header.
      expect((await me(s.app, await proof())).statusCode).toBe(200);
      expect((await me(nodeB, await proof())).statusCode).toBe(200);

      const once = await proof();
      expect((await me(s.app, once)).statusCode).toBe(200);
      const replayed = await me(nodeB, once);
      expect({ status: replayed.statusCode, code: replayed.json().code }).toEqual({
        status: 401,
        code: 'dpop_proof_replayed',
      });

      // Another device of the same user, then the first one revoked through node A's database.
      const tablet = await TestDevice.create(s);
      const tabletSession = await tablet.login('hana', PASSWORD);
      expect(await revokeDevice(s.ctx.db, s.clock.ms, device.id, 'stolen')).toBe(true);
      const revoked = await me(nodeB, await proof());
      expect({ status: revoked.statusCode, code: revoked.json().code }).toEqual({
        status: 403,
        code: 'device_revoked',
      });
      const tabletProof = await tablet.proof('GET', '/me', { accessToken: tabletSession.accessToken });
      const stillFine = await nodeB.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `DPoP ${tabletSession.accessToken}`, dpop: tabletProof },
      });
      expect(stillFine.statusCode).toBe(200);

      await s.ctx.db
        .updateTable('users')
        .set({ disabled_at: s.clock.ms })
        .where('username', '=', 'hana')
        .execute();
      const disabled = await nodeB.inject({
        method: 'GET',
        url: '/me',
        headers: {
          authorization: `DPoP ${tabletSession.accessToken}`,
          dpop: await tablet.proof('GET', '/me', { accessToken: tabletSession.accessToken }),
        },
      });
      expect({ status: disabled.statusCode, code: disabled.json().code }).toEqual({
        status: 401,
        code: 'account_disabled',
      });
    } finally {
      await nodeB.close();
      await ctxB.events.flush();
    }
  });

  it('answers requests of several sessions read together (replay cache in Redis) each with its own state', async () => {
    // On PostgreSQL with Redis, the session reads of one turn of the event loop share a statement.
    const redisServer = await startRedis();
    const redis = await connectRedis(redisServer.url);
    const ctxB = await createServerContext({
      db: s.database.db,
      cache: s.database.cache,
      now: s.clock.now,
      auth: TEST_AUTH,
      redis,
    });
    const nodeB = await buildApp({ db: s.database.db, context: ctxB, logger: false });
    await nodeB.ready();
    try {
      const tablet = await TestDevice.create(s);
      const tabletSession = await tablet.login('hana', PASSWORD);
      const lost = await TestDevice.create(s);
      const lostSession = await lost.login('hana', PASSWORD);
      await revokeDevice(s.ctx.db, s.clock.ms, lost.id, 'lost');
      const call = async (d: TestDevice, accessToken: string, dpop?: string) => {
        const res = await nodeB.inject({
          method: 'GET',
          url: '/me',
          headers: {
            authorization: `DPoP ${accessToken}`,
            dpop: dpop ?? (await d.proof('GET', '/me', { nonce: ctxB.dpop.nonces.current(), accessToken })),
          },
        });
        return res.statusCode === 200 ? `ok ${res.json().deviceId}` : res.json().code;
      };
      for (let round = 0; round < 3; round += 1) {
        const once = await device.proof('GET', '/me', {
          nonce: ctxB.dpop.nonces.current(),
          accessToken: session.accessToken,
        });
        const [first, tabletA, lostA, again, tabletB] = await Promise.all([
          call(device, session.accessToken, once),
          call(tablet, tabletSession.accessToken),
          call(lost, lostSession.accessToken),
          call(device, session.accessToken, once),
          call(tablet, tabletSession.accessToken),
        ]);
        // Either use of the proof may be the one recorded first.
        expect([first, again].sort()).toEqual(['dpop_proof_replayed', `ok ${device.id}`]);
        expect([tabletA, lostA, tabletB]).toEqual([`ok ${tablet.id}`, 'device_revoked', `ok ${tablet.id}`]);
      }
    } finally {
      await nodeB.close();
      await ctxB.events.flush();
      await redis.quit();
      await redisServer.dispose();
    }
  });

  it('accepts a proof sent several times at once exactly once', async () => {
    for (let round = 0; round < 3; round += 1) {
      const once = await proof();
      const results = await Promise.all(Array.from({ length: 4 }, () => me(s.app, once)));
      const codes = results.map((res) => (res.statusCode === 200 ? 'ok' : res.json().code)).sort();
      expect(codes).toEqual(['dpop_proof_replayed', 'dpop_proof_replayed', 'dpop_proof_replayed', 'ok']);
    }
  });

  it("never reads the session state from another request's unfinished transaction", async () => {
    // SQLite has one connection: a synchronous read in the middle of a transaction would see its
    // uncommitted writes. Here a transaction un-revokes the device, then rolls back.
    await revokeDevice(s.ctx.db, s.clock.ms, device.id, 'stolen');
    const dpop = await proof();
    let pending: ReturnType<typeof me> | undefined;
    await expect(
      s.ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('devices').set({ status: 'active' }).where('id', '=', device.id).execute();
        pending = me(s.app, dpop);
        // Long enough for the request to reach its session read while the transaction is open.
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const res = await pending;
    expect({ status: res?.statusCode, code: res?.json().code }).toEqual({
      status: 403,
      code: 'device_revoked',
    });
  });

  it('binds the arguments of each call to a query compiled once, and keeps its constants', async () => {
    const statusOf = compileOnce((db: Kysely<Database>, id: string) =>
      db
        .selectFrom('devices')
        .select(['id', 'status'])
        .where('id', '=', id)
        .where('status', 'in', ['active', 'blocked']),
    );
    const other = await TestDevice.create(s);
    await other.login('hana', PASSWORD);
    const first = statusOf(s.ctx.db, device.id);
    const second = statusOf(s.ctx.db, other.id);
    expect(second.sql).toBe(first.sql);
    expect((await s.ctx.db.executeQuery(first)).rows).toEqual([{ id: device.id, status: 'active' }]);
    expect((await s.ctx.db.executeQuery(second)).rows).toEqual([{ id: other.id, status: 'active' }]);
    await revokeDevice(s.ctx.db, s.clock.ms, other.id, 'lost');
    expect((await s.ctx.db.executeQuery(statusOf(s.ctx.db, other.id))).rows).toEqual([]);
    expect((await s.ctx.db.executeQuery(statusOf(s.ctx.db, randomUUID()))).rows).toEqual([]);
  });
});

describe('compileOnce', () => {
  it('refuses a builder that does not turn every argument into a parameter', async () => {
    const s = await startTestServer('sqlite');
    try {
      const ignoresItsArgument = compileOnce((db: Kysely<Database>, _id: string) =>
        db.selectFrom('devices').select('id'),
      );
      expect(() => ignoresItsArgument(s.ctx.db, 'x')).toThrow(/every argument/);
    } finally {
      await s.close();
    }
  });
});

describe('requestHtu', () => {
  /** The definition: the whole URI, without its query, normalised (dpop/htu.ts). */
  const reference = (request: { protocol: string; host: string; url: string }, publicUrl?: string) =>
    normalizeHtu(
      `${publicUrl === undefined ? `${request.protocol}://${request.host}` : new URL(publicUrl).origin}${request.url.split('?')[0]}`,
    );

  it('agrees with normalising the whole URI, for any Host and path, cached or not', () => {
    const piece = (chars: string, maxLength: number) =>
      fc.array(fc.constantFrom(...chars), { maxLength }).map((c) => c.join(''));
    const host = fc.oneof(
      fc.constantFrom(
        'localhost',
        'API.Example.com:443',
        'example.com:80',
        '[::1]:8080',
        'a/b',
        'a?x',
        'a#x',
        'u@a',
        'a\\b',
        '',
      ),
      piece('aZ09.-:[]@/?#%\\ ', 8),
    );
    const url = fc.oneof(
      fc.constantFrom(
        '/me',
        '/a/./b',
        '/a/../b',
        '/.',
        '/..',
        '/%7Euser',
        '/a//b',
        '/a?x=1',
        '/a.b/..c',
        '/~x',
      ),
      piece('aZ09/.-_~%?#\\ 7E', 12).map((p) => `/${p}`),
    );
    const publicUrl = fc.constantFrom(undefined, 'https://API.example.com:443/base/', 'http://h:8080');
    fc.assert(
      fc.property(fc.constantFrom('http', 'https', 'ftp'), host, url, publicUrl, (protocol, h, u, pub) => {
        const request = { protocol, host: h, url: u };
        // Twice: the second call finds the origin cached.
        expect(requestHtu(request, pub)).toBe(reference(request, pub));
        expect(requestHtu(request, pub)).toBe(reference(request, pub));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('isStrictBase64url', () => {
  /** The definition: decoding then re-encoding gives the same text back. */
  const reference = (text: string) =>
    text.length > 0 &&
    text.length % 4 !== 1 &&
    /^[A-Za-z0-9_-]*$/.test(text) &&
    Buffer.from(text, 'base64url').toString('base64url') === text;

  it('agrees with decoding and re-encoding on any text', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .';
    const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(text, (t) => isStrictBase64url(t) === reference(t)),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) =>
        isStrictBase64url(Buffer.from(bytes).toString('base64url')),
      ),
      { numRuns: 300 },
    );
  });

  it('refuses non-zero unused bits, padding, the standard alphabet and impossible lengths', () => {
    expect(isStrictBase64url('AA')).toBe(true);
    expect(isStrictBase64url('AB')).toBe(false);
    expect(isStrictBase64url('AI')).toBe(false);
    expect(isStrictBase64url('AAA')).toBe(true);
    expect(isStrictBase64url('AAB')).toBe(false);
    expect(isStrictBase64url('AAC')).toBe(false);
    expect(isStrictBase64url('AAAA')).toBe(true);
    expect(isStrictBase64url('AA==')).toBe(false);
    expect(isStrictBase64url('a+/b')).toBe(false);
    expect(isStrictBase64url('AAAAA')).toBe(false);
    expect(isStrictBase64url('')).toBe(false);
  });
});
