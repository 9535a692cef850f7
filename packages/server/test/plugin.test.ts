/**
 * Bulwark mounted as a plugin inside someone else's Fastify server, under a prefix: its routes
 * work there with DPoP bound to the prefixed URL, its errors are problem+json, and it leaves the
 * host's own routes and error handling alone.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bulwarkPlugin } from '../src/app.js';
import { createServerContext } from '../src/context.js';
import { describeEachDialect, openTestDatabase } from './lib/databases.js';
import { PASSWORD, TEST_AUTH, TestClock, TestDevice, type TestServer, testServerOf } from './lib/harness.js';

describeEachDialect('plugin in a host server', (dialect) => {
  let server: TestServer;
  let host: FastifyInstance;

  beforeEach(async () => {
    const database = await openTestDatabase(dialect);
    const clock = new TestClock();
    const ctx = await createServerContext({
      db: database.db,
      cache: database.cache,
      now: clock.now,
      auth: TEST_AUTH,
    });
    host = Fastify({ logger: false });
    host.get('/', async () => ({ app: 'host' }));
    host.get('/host-error', async () => {
      throw Object.assign(new Error('host failure'), { statusCode: 418 });
    });
    await host.register(bulwarkPlugin, { prefix: '/bulwark', db: database.db, context: ctx });
    await host.ready();
    server = testServerOf(host, ctx, database, clock);
  });

  afterEach(async () => {
    await server.close();
  });

  it('signs in and serves authenticated requests under the prefix', async () => {
    await server.user('alice', PASSWORD);
    const device = await TestDevice.create(server);
    const login = await device.send('POST', '/bulwark/auth/login', {
      body: { username: 'alice', password: PASSWORD, device: device.declaration() },
    });
    expect(login.statusCode).toBe(200);
    const { accessToken } = login.json() as { accessToken: string };
    const me = await device.send('GET', '/bulwark/me', { accessToken });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: 'alice', deviceId: device.id });
  });

  it('binds proofs to the prefixed URL: a proof for the unprefixed path is refused', async () => {
    await server.user('alice', PASSWORD);
    const device = await TestDevice.create(server);
    const login = await device.send('POST', '/bulwark/auth/login', {
      body: { username: 'alice', password: PASSWORD, device: device.declaration() },
    });
    const { accessToken } = login.json() as { accessToken: string };
    const dpop = await device.proof('GET', '/me', { accessToken });
    const res = await host.inject({
      method: 'GET',
      url: '/bulwark/me',
      headers: { dpop, authorization: `DPoP ${accessToken}` },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers its own errors as problem+json and leaves the host alone', async () => {
    const anonymous = await host.inject({ method: 'GET', url: '/bulwark/me' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);

    const hostRoute = await host.inject({ method: 'GET', url: '/' });
    expect(hostRoute.json()).toEqual({ app: 'host' });
    const hostError = await host.inject({ method: 'GET', url: '/host-error' });
    expect(hostError.statusCode).toBe(418);
    expect(hostError.headers['content-type']).toMatch(/^application\/json/);
  });
});
