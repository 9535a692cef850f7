/**
 * SPKI-SHA256 certificate pinning against real TLS servers on loopback, with certificates from a
 * test CA made by openssl (RSA and ECDSA): the right pin connects, the same host with another key
 * is refused, a backup pin connects, an untrusted chain is refused even with a matching pin, and
 * `http://` is refused. Then the interception that copies a pinned intermediate's name and key
 * identifier and appends the real intermediate to its chain: refused before any request is sent.
 */
import { createServer, type Server } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeviceKey, MemorySessionStore, Transport } from '../src/index.js';
import { createPinnedFetch, pinOptionsFromConfig, type SdkPinConfig, spkiPin } from '../src/node/index.js';
import {
  makeSpoofedIntermediate,
  makeTestCa,
  type ServerCert,
  type SpoofedIntermediate,
} from './fakes/test-ca.js';

// The CommonJS module object that undici calls `connect` on, so that a spy on it sees the calls.
const tls = createRequire(import.meta.url)('node:tls') as typeof import('node:tls');

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

const posture = {
  report: async () => ({
    platform: 'node' as const,
    osVersion: 'x',
    appVersion: '1',
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};

async function transport(
  baseUrl: string,
  fetch: typeof globalThis.fetch,
  sessions = new MemorySessionStore(),
): Promise<Transport> {
  return new Transport({ baseUrl, fetch, deviceKey: await DeviceKey.generate(), sessions, posture });
}

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
      expect.objectContaining({ code: 'config_invalid' }),
    );
    // `expires` is required, as `bulwark pins --emit sdk` writes it: a configuration without
    // one (or with a date that does not parse) would pin forever, so it is refused.
    const { expires: _, ...forever } = config('localhost', future);
    expect(() => pinOptionsFromConfig(forever as unknown as SdkPinConfig)).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
    expect(() => pinOptionsFromConfig(config('localhost', 'next year'))).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
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
      expect.objectContaining({ code: 'config_invalid' }),
    );
    expect(() => createPinnedFetch({ pins: [pin('rsa'), 'not-a-pin'], ca })).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
  });

  it('says why a chain was not accepted, and what to do, through the transport (network_error)', async () => {
    const untrusted = await transport(
      (servers.rsa as { url: string }).url,
      createPinnedFetch({ pins: [pin('rsa'), pin('ec')] }),
    );
    await expect(untrusted.publicRequest('GET', '/healthz')).rejects.toMatchObject({
      code: 'network_error',
      message: expect.stringMatching(/TLS certificate was not accepted \([A-Z_]+\).*`ca`/),
    });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = await transport(
      `https://127.0.0.1:${port}`,
      createPinnedFetch({ pins: [pin('rsa'), pin('ec')], ca }),
    );
    await expect(down.publicRequest('GET', '/healthz')).rejects.toMatchObject({
      code: 'network_error',
      message: 'the server could not be reached (ECONNREFUSED)',
    });
  });

  it('reports pin_mismatch through the transport', async () => {
    const make = async (pins: string[], name: string) =>
      transport((servers[name] as { url: string }).url, createPinnedFetch({ pins, ca }));
    const good = await make([pin('ec'), pin('rsa')], 'ec');
    expect(await good.publicRequest('GET', '/healthz')).toEqual({ status: 'ok', server: 'ec' });
    const bad = await make([pin('rsa'), pin('ec')], 'other');
    await expect(bad.publicRequest('GET', '/healthz')).rejects.toMatchObject({ code: 'pin_mismatch' });
  });
});

/** What a test server received: every request (method, path, headers, body) and every byte. */
interface Recorder {
  requests: { method: string; url: string; headers: Record<string, unknown>; body: string }[];
  bytes: number;
}

async function recordingServer(
  key: string,
  cert: string,
): Promise<{ server: Server; url: string; seen: Recorder }> {
  const seen: Recorder = { requests: [], bytes: 0 };
  const server = createServer({ key, cert }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ method: req.method, url: req.url, custom: req.headers['x-custom'] ?? null, body }),
      );
    });
  });
  server.on('secureConnection', (socket: import('node:tls').TLSSocket) => {
    socket.on('data', (chunk: Buffer) => {
      seen.bytes += chunk.length;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `https://localhost:${(server.address() as AddressInfo).port}`, seen };
}

describe('a chain padded with a pinned intermediate that never signed its leaf', () => {
  let certs: SpoofedIntermediate;
  let real: Awaited<ReturnType<typeof recordingServer>>;
  let attacker: Awaited<ReturnType<typeof recordingServer>>;
  let attackerAlone: Awaited<ReturnType<typeof recordingServer>>;
  // A spare key's pin, held offline: never in any chain here.
  const spare = 'fwza0LRMXouZHRC8Ei+4PyuldPDcf3UKgO/04cDM1oE=';

  beforeAll(async () => {
    certs = makeSpoofedIntermediate();
    real = await recordingServer(certs.real.key, certs.real.chain);
    // The interception: the attacker's leaf, then the real intermediate's public certificate.
    attacker = await recordingServer(certs.attacker.key, certs.attacker.leaf + certs.intermediate);
    attackerAlone = await recordingServer(certs.attacker.key, certs.attacker.leaf);
  }, 60_000);

  afterAll(async () => {
    for (const { server } of [real, attacker, attackerAlone]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  afterEach(() => {
    for (const { seen } of [real, attacker, attackerAlone]) {
      seen.requests.length = 0;
      seen.bytes = 0;
    }
  });

  const intermediatePin = () => spkiPin(certs.intermediate);
  // The device trusts the attacker's root (a corporate proxy, a user-installed CA).
  const attackerTrusted = () => ({ ca: [certs.attackerRoot] });

  it('the attacker chain is one the device trusts: without pins its requests arrive', async () => {
    // Pins for another host: only normal validation applies to localhost.
    const unpinned = createPinnedFetch({
      pins: [intermediatePin(), spare],
      host: 'api.example.com',
      ...attackerTrusted(),
    });
    expect((await unpinned(`${attacker.url}/healthz`)).status).toBe(200);
    expect(attacker.seen.requests.map((r) => r.url)).toEqual(['/healthz']);
  });

  it('refuses the attacker with pin_mismatch and sends it nothing, the refresh token least of all', async () => {
    const fetch = createPinnedFetch({ pins: [intermediatePin(), spare], ...attackerTrusted() });
    expect(await failureCode(fetch(`${attacker.url}/healthz`))).toBe('pin_mismatch');

    const sessions = new MemorySessionStore();
    await sessions.save({ refreshToken: 'rt-secret-refresh-token', userId: 'u1', deviceId: 'd1' });
    const client = await transport(attacker.url, fetch, sessions);
    // No access token yet: the transport first sends POST /auth/refresh with the refresh token.
    await expect(client.request('GET', '/me')).rejects.toMatchObject({ code: 'pin_mismatch' });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'pin_mismatch' });
    expect(attacker.seen.requests).toEqual([]);
    expect(attacker.seen.bytes).toBe(0);
    // The refusal keeps the session: it is the network that is hostile, not the account.
    expect(await sessions.load()).toMatchObject({ refreshToken: 'rt-secret-refresh-token' });
  });

  it('refuses the attacker when the device also trusts the real root, which Node then lists above the intermediate', async () => {
    const fetch = createPinnedFetch({
      pins: [intermediatePin(), spkiPin(certs.root)],
      ca: [certs.root, certs.attackerRoot],
    });
    expect(await failureCode(fetch(`${attacker.url}/healthz`))).toBe('pin_mismatch');
    expect(attacker.seen.bytes).toBe(0);
  });

  it('refuses the attacker without the appended intermediate too', async () => {
    const fetch = createPinnedFetch({ pins: [intermediatePin(), spare], ...attackerTrusted() });
    expect(await failureCode(fetch(`${attackerAlone.url}/healthz`))).toBe('pin_mismatch');
    expect(attackerAlone.seen.bytes).toBe(0);
  });

  it('accepts the real chain through the intermediate pin, a leaf pin, or a backup pin', async () => {
    const ca = { ca: [certs.root] };
    for (const pins of [
      [intermediatePin(), spare],
      [spkiPin(certs.real.leaf), spare],
      // The current pin is a key no longer served; the backup (the intermediate) carries it.
      [spare, intermediatePin()],
    ]) {
      const fetch = createPinnedFetch({ pins, ...ca });
      expect((await fetch(`${real.url}/healthz`)).status, pins.join(' ')).toBe(200);
    }
    const refused = createPinnedFetch({ pins: [spare, spkiPin(certs.attacker.leaf)], ...ca });
    expect(await failureCode(refused(`${real.url}/healthz`))).toBe('pin_mismatch');
    expect(real.seen.requests).toHaveLength(3);
  });

  it('sends a Request as it is: method, body and headers', async () => {
    const fetch = createPinnedFetch({ pins: [intermediatePin(), spare], ca: [certs.root] });
    const request = new Request(`${real.url}/echo`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json', 'x-custom': 'kept' },
    });
    const response = await fetch(request);
    expect(await response.json()).toEqual({ method: 'POST', url: '/echo', custom: 'kept', body: '{"a":1}' });
    // fetch(request, init): init's fields win, as the Fetch standard says.
    const put = await fetch(new Request(`${real.url}/echo`, { method: 'POST', body: 'old' }), {
      method: 'PUT',
      body: 'new',
    });
    expect(await put.json()).toMatchObject({ method: 'PUT', body: 'new' });
  });

  it('accepts an upper-case HTTPS:// scheme and refuses other schemes whatever their case', async () => {
    const fetch = createPinnedFetch({ pins: [intermediatePin(), spare], ca: [certs.root] });
    expect((await fetch(`${real.url.replace('https:', 'HTTPS:')}/healthz`)).status).toBe(200);
    expect(await failureCode(fetch(`${real.url.replace('https:', 'HTTP:')}/healthz`))).toBe(
      'invalid_argument',
    );
    expect(await failureCode(fetch('not a url'))).toBe('invalid_argument');
  });

  it('adds `ca` to the default CAs instead of replacing them', async () => {
    const connect = vi.spyOn(tls, 'connect');
    try {
      const fetch = createPinnedFetch({ pins: [intermediatePin(), spare], ca: certs.root });
      expect((await fetch(`${real.url}/healthz`)).status).toBe(200);
      const trusted = connect.mock.calls
        .map((args: unknown[]) => (args[0] as import('node:tls').ConnectionOptions).ca)
        .find(Boolean);
      expect(trusted).toEqual(expect.arrayContaining([...tls.rootCertificates, certs.root]));
    } finally {
      connect.mockRestore();
    }
  });
});
