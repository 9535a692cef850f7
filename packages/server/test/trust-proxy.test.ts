/**
 * The client address behind reverse proxies, on both dialects: with the proxies named by address
 * or counted in hops, the address is the right-most `X-Forwarded-For` entry no trusted proxy wrote
 * — never the left-most one, which the client writes — so the audit log records the address the
 * proxy saw and forged entries do not escape the per-address sign-in limit. A client that reaches
 * the server directly is not believed at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fastifyTrustProxy, parseTrustProxy, type TrustProxy } from '../src/http/trust-proxy.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

const PROXY = '10.0.0.5';
const CLIENT = '198.51.100.1';
const FORGED = '203.0.113.77';

describe('parseTrustProxy', () => {
  it('reads a hop count or a list of addresses and CIDR ranges', () => {
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy(' 2 ')).toBe(2);
    expect(parseTrustProxy('10.0.0.5, 10.1.0.0/16,fd00::/8,loopback')).toEqual([
      '10.0.0.5',
      '10.1.0.0/16',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('refuses to trust every proxy, which would make the left-most entry the client address', () => {
    expect(() => fastifyTrustProxy(true as never)).toThrow(
      expect.objectContaining({ code: 'invalid_trust_proxy' }),
    );
    expect(() => fastifyTrustProxy([])).toThrow(expect.objectContaining({ code: 'invalid_trust_proxy' }));
    expect(fastifyTrustProxy(false)).toBe(false);
  });

  it('refuses what would trust the client or names no proxy', () => {
    for (const bad of [
      '',
      ' , ',
      'true',
      '0',
      '17',
      '-1',
      'proxy.internal',
      '10.0.0.0/33',
      '::/129',
      '10.0.0.5/x',
    ]) {
      expect(() => parseTrustProxy(bad), bad).toThrow(
        expect.objectContaining({ code: 'invalid_trust_proxy' }),
      );
    }
  });
});

describeEachDialect('trust proxy', (dialect) => {
  let s: TestServer;
  afterEach(async () => {
    await s.close();
  });

  async function start(trustProxy: TrustProxy, failuresPerIp?: number): Promise<void> {
    s = await startTestServer(dialect, failuresPerIp === undefined ? {} : { throttle: { failuresPerIp } }, {
      trustProxy,
    });
    await s.user('ivy', PASSWORD);
  }

  /** Signs in through `socket` with `X-Forwarded-For: forwarded`; the address the audit log recorded. */
  async function recordedAddress(socket: string, forwarded: string): Promise<string | null> {
    const device = await TestDevice.create(s);
    const res = await device.send('POST', '/auth/login', {
      body: { username: 'ivy', password: PASSWORD, device: device.declaration() },
      ip: socket,
      headers: { 'x-forwarded-for': forwarded },
    });
    expect(res.statusCode).toBe(200);
    await s.ctx.events.flush();
    const events = await s.ctx.events.list({ type: 'login_succeeded' });
    return events.at(-1)?.ip ?? null;
  }

  it('records the address the trusted proxy saw, not the entry the client wrote', async () => {
    await start([PROXY]);
    // The proxy appends the address it saw to what the client sent.
    expect(await recordedAddress(PROXY, `${FORGED}, ${CLIENT}`)).toBe(CLIENT);
    // A client that reaches the server directly is not a proxy: its header is ignored.
    expect(await recordedAddress('192.0.2.9', `${FORGED}, ${CLIENT}`)).toBe('192.0.2.9');
  });

  it('counts hops from the socket: one proxy, then two', async () => {
    await start(1);
    expect(await recordedAddress(PROXY, `${FORGED}, ${CLIENT}`)).toBe(CLIENT);
    await s.close();
    await start(2);
    // With two proxies the first one's entry is the client (here, whatever it says).
    expect(await recordedAddress(PROXY, `${FORGED}, ${CLIENT}`)).toBe(FORGED);
  });

  it('keeps sign-ins with a new first X-Forwarded-For entry each within the per-address limit', async () => {
    await start([PROXY], 10);
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const device = await TestDevice.create(s);
      // A different account each time, so only the per-address limit can stop them.
      const res = await device.send('POST', '/auth/login', {
        body: { username: `guess${i}`, password: 'wrong-password-1', device: device.declaration() },
        ip: PROXY,
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}, ${CLIENT}` },
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(res.json().code).toBe('login_throttled');
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(5).fill(429));
    await s.ctx.events.flush();
    const throttled = await s.ctx.events.list({ type: 'login_throttled' });
    // Five refusals of one client in a minute: one event, naming the client behind the proxy.
    expect(throttled.map((e) => e.ip)).toEqual([CLIENT]);
  });
});
