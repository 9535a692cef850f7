/**
 * SPKI-SHA256 certificate pinning against real TLS servers on loopback, with certificates from a
 * test CA made by openssl (RSA and ECDSA): the right pin connects, the same host with another key
 * is refused, a backup pin connects, an untrusted chain is refused even with a matching pin, and
 * `http://` is refused.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceKey, MemorySessionStore, Transport } from '../src/index.js';
import { createPinnedFetch, pinOptionsFromConfig, spkiPin } from '../src/node/index.js';
import { makeTestCa, type ServerCert } from './fakes/test-ca.js';

let ca: string;
const certs: Record<string, ServerCert> = {};
const servers: Record<string, { server: Server; url: string }> = {};

beforeAll(async () => {
  const authority = makeTestCa();
  ca = authority.ca;
  certs.rsa = authority.server('rsa', 'rsa');
  certs.ec = authority.server('ec', 'ec');
  certs.other = authority.server('other', 'rsa');
  for (const [name, cert] of Object.entries(certs)) {
    const server = createServer({ key: cert.key, cert: cert.cert }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', server: name }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers[name] = { server, url: `https://localhost:${(server.address() as AddressInfo).port}` };
  }
}, 60_000);

afterAll(async () => {
  for (const { server } of Object.values(servers)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const pin = (name: string) => spkiPin((certs[name] as ServerCert).cert);
const url = (name: string) => `${(servers[name] as { url: string }).url}/healthz`;

async function failureCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    for (let e: unknown = err; e instanceof Error; e = e.cause) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string') return code;
    }
    return 'unknown';
  }
}

describe('SPKI pinning in Node', () => {
  it('computes the same pins as openssl for RSA and ECDSA certificates', () => {
    for (const name of ['rsa', 'ec', 'other']) expect(pin(name)).toBe((certs[name] as ServerCert).opensslPin);
    expect(pin('rsa')).not.toBe(pin('other'));
  });

  it.each(['rsa', 'ec'])('connects to the %s server with the right pin', async (name) => {
    const fetch = createPinnedFetch({ pins: [pin(name), pin(name === 'rsa' ? 'ec' : 'rsa')], ca });
    const response = await fetch(url(name));
    expect(await response.json()).toEqual({ status: 'ok', server: name });
  });

  it('refuses the same host serving another key, though its chain is valid', async () => {
    const fetch = createPinnedFetch({ pins: [pin('rsa'), pin('ec')], ca });
    expect(await failureCode(fetch(url('other')))).toBe('pin_mismatch');
  });

  it('connects through a backup pin', async () => {
    const fetch = createPinnedFetch({ pins: [pin('other'), pin('ec')], ca });
    expect((await fetch(url('ec'))).status).toBe(200);
  });

  it('accepts a pin of a key higher in the verified chain (the issuing CA), as Android pin-sets do', async () => {
    const fetch = createPinnedFetch({ pins: [spkiPin(ca), pin('ec')], ca });
    expect((await fetch(url('other'))).status).toBe(200);
  });

  it('reads the configuration of `bulwark pins --emit sdk`: sha256/ pins, host and expiry', async () => {
    const config = (host: string, expires: string) => ({
      host,
      pins: [`sha256/${pin('rsa')}`],
      backupPins: [`sha256/${pin('ec')}`],
      expires,
    });
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const past = new Date(Date.now() - 1000).toISOString();
    const enforced = createPinnedFetch({ ...pinOptionsFromConfig(config('localhost', future)), ca });
    expect((await enforced(url('rsa'))).status).toBe(200);
    expect(await failureCode(enforced(url('other')))).toBe('pin_mismatch');
    // After the expiry, and for other hosts, only normal validation applies (docs/pins.md).
    const expired = createPinnedFetch({ ...pinOptionsFromConfig(config('localhost', past)), ca });
    expect((await expired(url('other'))).status).toBe(200);
    const otherHost = createPinnedFetch({ ...pinOptionsFromConfig(config('api.example.com', future)), ca });
    expect((await otherHost(url('other'))).status).toBe(200);
    expect(() => pinOptionsFromConfig({ ...config('localhost', future), backupPins: [] })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });

  it('refuses an untrusted chain even when the pin matches', async () => {
    const fetch = createPinnedFetch({ pins: [pin('rsa'), pin('ec')] });
    const code = await failureCode(fetch(url('rsa')));
    expect(code).not.toBeUndefined();
    expect(code).not.toBe('pin_mismatch');
  });

  it('refuses http:// and fewer than two pins', async () => {
    const fetch = createPinnedFetch({ pins: [pin('rsa'), pin('ec')], ca });
    expect(await failureCode(fetch(url('rsa').replace('https:', 'http:')))).toBe('invalid_argument');
    expect(() => createPinnedFetch({ pins: [pin('rsa')], ca })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => createPinnedFetch({ pins: [pin('rsa'), 'not-a-pin'], ca })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });

  it('reports pin_mismatch through the transport', async () => {
    const make = async (pins: string[], name: string) =>
      new Transport({
        baseUrl: (servers[name] as { url: string }).url,
        fetch: createPinnedFetch({ pins, ca }),
        deviceKey: await DeviceKey.generate(),
        sessions: new MemorySessionStore(),
        posture: {
          report: async () => ({
            platform: 'node',
            osVersion: 'x',
            appVersion: '1',
            posture: { rooted: false, screenLock: true, emulator: false },
          }),
        },
      });
    const good = await make([pin('ec'), pin('rsa')], 'ec');
    expect(await good.publicRequest('GET', '/healthz')).toEqual({ status: 'ok', server: 'ec' });
    const bad = await make([pin('rsa'), pin('ec')], 'other');
    await expect(bad.publicRequest('GET', '/healthz')).rejects.toMatchObject({ code: 'pin_mismatch' });
  });
});
