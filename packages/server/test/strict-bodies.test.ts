/**
 * Route schemas refuse, never repair: an unknown property or a value of the wrong type in a
 * request body is a 400 with a stable code, not silently stripped or coerced (Fastify's default
 * ajv settings would accept both).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

describeEachDialect('strict request bodies', (dialect) => {
  let server: TestServer;
  let device: TestDevice;

  beforeEach(async () => {
    server = await startTestServer(dialect);
    await server.user('alice', PASSWORD);
    device = await TestDevice.create(server);
  });

  afterEach(async () => {
    await server.close();
  });

  it('refuses an unknown property instead of stripping it', async () => {
    const res = await device.loginRaw('alice', PASSWORD, { extra: { role: 'admin' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'invalid_request' });
  });

  it('refuses a posture flag sent as a string instead of coercing it', async () => {
    const res = await device.send('POST', '/auth/login', {
      body: {
        username: 'alice',
        password: PASSWORD,
        device: { ...device.declaration(), posture: { rooted: 'false', screenLock: 'true', emulator: 0 } },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid_request' });
    const devices = await server.ctx.db.selectFrom('devices').select('id').execute();
    expect(devices).toEqual([]);
  });

  it('still signs in with a well-formed body', async () => {
    const res = await device.loginRaw('alice', PASSWORD);
    expect(res.statusCode).toBe(200);
  });
});
