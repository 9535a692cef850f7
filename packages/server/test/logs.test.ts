/**
 * What the server writes to its log, at the most talkative level, through a whole session:
 * sign-in (right and wrong passwords), authenticated calls, a refresh, a replayed proof, a push
 * with a sensitive field, a refused push, a body that is not JSON, sign-out. Every line must be
 * JSON with a level, and none may carry a password, a token, a DPoP proof, any other JWT, a
 * sensitive field's value (also not one in a list filter's query string) or a stack trace
 * (docs/operations.md, "Logs").
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Actor, createMember, inspection, signIn, startDemoServer } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, TestDevice, type TestServer } from './lib/harness.js';

describeEachDialect('server logs', (dialect) => {
  let s: TestServer;
  let lines: string[];
  let ann: Actor;

  beforeEach(async () => {
    lines = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    s = await startDemoServer(dialect, { logger: { level: 'trace', stream } });
    ann = await signIn(s, 'ann', await createMember(s, 'ann', ['north']));
  });
  afterEach(async () => {
    await s.close();
  });

  it('logs each request as JSON, with no password, token, proof, sensitive value or stack trace', async () => {
    const secrets: string[] = [PASSWORD, ann.session.accessToken, ann.session.refreshToken];
    const wrong = `wrong-${randomUUID()}`;
    const phone = `+44 7700 ${Math.floor(100_000 + Math.random() * 899_999)}`;
    secrets.push(wrong, phone);

    const stranger = await TestDevice.create(s);
    expect((await stranger.loginRaw('ann', wrong)).statusCode).toBe(401);
    expect((await ann.call('GET', '/me')).statusCode).toBe(200);

    const proof = await ann.device.proof('GET', '/me', { accessToken: ann.session.accessToken });
    secrets.push(proof);
    const headers = { dpop: proof, authorization: `DPoP ${ann.session.accessToken}` };
    expect((await s.app.inject({ method: 'GET', url: '/me', headers })).statusCode).toBe(200);
    // The same proof again: a replay, refused and logged as such.
    expect((await s.app.inject({ method: 'GET', url: '/me', headers })).statusCode).toBe(401);

    const push = (record: Record<string, unknown>) =>
      ann.call('POST', '/sync/push', {
        mutations: [
          {
            mutationId: randomUUID(),
            collection: 'inspections',
            id: randomUUID(),
            op: 'upsert',
            baseVersion: null,
            record,
          },
        ],
      });
    expect((await push(inspection(ann.userId, 'north', { residentPhone: phone }))).statusCode).toBe(200);
    // A record the rules refuse (another team), still carrying the phone.
    expect((await push(inspection(ann.userId, 'south', { residentPhone: phone }))).statusCode).toBe(200);
    const broken = await s.app.inject({
      method: 'POST',
      url: '/sync/push',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: `{"mutations": [${JSON.stringify(phone)}`,
    });
    expect(broken.statusCode).toBeGreaterThanOrEqual(400);
    expect(broken.statusCode).toBeLessThan(500);

    // A list filtered on the sensitive field: the phone travels in the query string, which the
    // request log line must not carry. Nor a token a client put in the query by mistake.
    const filter = JSON.stringify({ field: 'residentPhone', eq: phone });
    secrets.push(encodeURIComponent(filter), encodeURIComponent(phone));
    const filtered = await ann.call('GET', `/data/inspections?filter=${encodeURIComponent(filter)}&limit=5`);
    expect(filtered.statusCode).toBe(200);
    expect((await ann.call('GET', `/me?access_token=${ann.session.accessToken}`)).statusCode).toBe(200);
    expect((await ann.call('GET', `/me?${ann.session.refreshToken}`)).statusCode).toBe(200);

    const before = ann.session.refreshToken;
    expect((await ann.device.refresh(ann.session)).statusCode).toBe(200);
    secrets.push(ann.session.accessToken, ann.session.refreshToken);
    // The spent refresh token again: reuse, which ends the session family.
    expect(
      (await ann.device.send('POST', '/auth/refresh', { body: { refreshToken: before } })).statusCode,
    ).toBe(401);

    // Something was logged for each request, at the levels asked for.
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) {
      const entry = JSON.parse(line) as { level?: unknown };
      expect(typeof entry.level).toBe('number');
    }
    const all = lines.join('\n');
    expect(all).toContain('"statusCode":401');
    // The query keeps its parameter names, for whoever reads the log, and none of its values.
    expect(all).toContain('"url":"/data/inspections?filter=…&limit=…"');
    expect(all).toContain('"url":"/me?…"');
    for (const secret of secrets) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/eyJ[\w-]{8,}\.eyJ[\w-]{8,}/);
    expect(all).not.toMatch(/\n\s+at |\\n\s+at /);
    expect(all.toLowerCase()).not.toContain('"password"');
  });
});
