/**
 * The device-bound transport against a fake server on loopback: URL policy (https only, http to
 * loopback in development mode only, no redirects), DPoP proofs and server nonces, single-flight
 * refresh, rotation and reuse, signed policy verification, `device_revoked` turning into a wipe,
 * and device keys that never become extractable.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DeviceKey,
  IndexedDbDeviceKeyStorage,
  KeystoreDeviceKeyStorage,
  MemoryKeystore,
  MemorySessionStore,
  type PostureProvider,
  SecureItems,
  SecureItemsSessionStore,
  Transport,
} from '../src/index.js';
import { checkTransportUrl } from '../src/transport/url-policy.js';
import { FakeServer } from './fakes/fake-server.js';

const posture: PostureProvider = {
  report: async () => ({
    platform: 'web',
    osVersion: 'test',
    appVersion: '1.0.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};
const DEVICE_ID = '6f1c2a7e-1d7b-4c1e-9a55-0d3f9b6f2c11';

let server: FakeServer;
beforeEach(async () => {
  server = new FakeServer();
  await server.start();
});
afterEach(async () => {
  await server.stop();
});

async function transport(extra: Partial<ConstructorParameters<typeof Transport>[0]> = {}) {
  const sessions = new MemorySessionStore();
  const t = new Transport({
    baseUrl: server.url,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions,
    posture,
    ...extra,
  });
  return { t, sessions };
}

describe('URL policy', () => {
  it.each([
    ['https://api.example.com/x', false, true],
    ['http://api.example.com', false, false],
    ['http://api.example.com', true, false],
    ['http://localhost:8080', false, false],
    ['http://localhost:8080', true, true],
    ['http://127.0.0.1:3000', true, true],
    ['http://[::1]:3000', true, true],
    ['http://127.0.0.1.nip.io', true, false],
    ['http://10.0.0.1', true, false],
    ['ftp://example.com', true, false],
    ['https://user:pw@api.example.com', false, false],
    ['not a url', true, false],
  ])('%s (dev mode %s) allowed: %s', (url, devMode, allowed) => {
    if (allowed) expect(checkTransportUrl(url, { devMode }).href).toBeTruthy();
    else
      expect(() => checkTransportUrl(url, { devMode })).toThrow(
        expect.objectContaining({ code: 'insecure_transport' }),
      );
  });

  it('refuses an http base URL outside development mode, and never follows redirects', async () => {
    await expect(transport({ devMode: false })).rejects.toMatchObject({ code: 'insecure_transport' });
    const { t } = await transport();
    await expect(t.publicRequest('GET', '/redirect')).rejects.toMatchObject({ code: 'network_error' });
    await expect(t.publicRequest('GET', '//evil.example.com/x')).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});

describe('sign-in and DPoP', () => {
  it('enrolls with a posture report, follows the server nonce, and signs proofs with the public key only', async () => {
    const { t, sessions } = await transport();
    const { user, settings } = await t.login({
      username: 'ada',
      password: 'correct horse battery',
      deviceId: DEVICE_ID,
    });
    expect(user.id).toBe('u1');
    expect(settings).toEqual({ lockTimeoutSeconds: 60, failedUnlockLimit: 5, offlineGraceSeconds: 3600 });
    // First try without a nonce is answered use_dpop_nonce, the retry carries it.
    expect(server.seen.filter((r) => r.path === '/auth/login')).toHaveLength(2);
    expect(server.counts.login).toBe(1);
    expect((await sessions.load())?.deviceId).toBe(DEVICE_ID);
    await t.request('GET', '/me?x=1');
    const last = server.seen.at(-1);
    expect(last?.proofHeader).toMatchObject({
      typ: 'dpop+jwt',
      alg: 'ES256',
      jwk: { kty: 'EC', crv: 'P-256' },
    });
    expect((last?.proofHeader?.jwk as Record<string, unknown> | undefined)?.d).toBeUndefined();
    expect(last?.proofHeader?.jwk).toBeDefined();
    expect(last?.proof).toMatchObject({ htm: 'GET', htu: `${server.url}/me` });
    expect(typeof last?.proof?.ath).toBe('string');
    expect(typeof last?.proof?.jti).toBe('string');
  });

  it('surfaces the server problem code of a refused login', async () => {
    const { t, sessions } = await transport();
    await expect(t.login({ username: 'ada', password: 'wrong', deviceId: DEVICE_ID })).rejects.toMatchObject({
      code: 'invalid_credentials',
      status: 401,
    });
    expect(await sessions.load()).toBeUndefined();
    await expect(t.request('GET', '/me')).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it('refuses a device policy not signed by a key of the server JWKS', async () => {
    await server.stop();
    server = new FakeServer({ rogueSigner: true });
    await server.start();
    const { t, sessions } = await transport();
    await expect(
      t.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID }),
    ).rejects.toMatchObject({
      code: 'invalid_policy',
    });
    expect(await sessions.load()).toBeUndefined();
  });

  it('refreshes once for many concurrent requests, rotating the refresh token', async () => {
    const { t, sessions } = await transport();
    await t.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID });
    const first = (await sessions.load())?.refreshToken;
    server.expireAllAccessTokens();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.request<{ userId: string }>('GET', '/me')),
    );
    expect(results.every((r) => r.userId === 'u1')).toBe(true);
    expect(server.counts.refresh).toBe(1);
    expect((await sessions.load())?.refreshToken).not.toBe(first);
  });

  it('refreshes ahead of expiry, and forgets a session whose refresh token was reused', async () => {
    await server.stop();
    server = new FakeServer({ accessTtlSeconds: 20 });
    await server.start();
    const { t, sessions } = await transport();
    await t.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID });
    const stale = await sessions.load();
    // 20 s of validity is inside the 30 s margin: the token is refreshed before it is sent.
    await t.request('GET', '/me');
    expect(server.counts.refresh).toBe(1);
    expect(server.seen.filter((r) => r.path === '/me')).toHaveLength(1);
    await sessions.save(stale as NonNullable<typeof stale>);
    await expect(t.refresh()).rejects.toMatchObject({ code: 'refresh_token_reused' });
    expect(await sessions.load()).toBeUndefined();
  });

  it('wipes on device_revoked before reporting it', async () => {
    const order: string[] = [];
    const { t } = await transport({ onDeviceRevoked: async () => void order.push('wiped') });
    await t.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID });
    server.revoked.add(DEVICE_ID);
    await expect(t.request('GET', '/me')).rejects.toMatchObject({ code: 'device_revoked', status: 403 });
    expect(order).toEqual(['wiped']);
  });

  it('reports a check-in only for authenticated successes', async () => {
    const checkIns: number[] = [];
    const { t } = await transport({ onCheckIn: (at) => checkIns.push(at) });
    await t.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID });
    expect(checkIns).toEqual([]);
    await t.request('GET', '/me');
    expect(checkIns).toHaveLength(1);
  });
});

describe('device keys', () => {
  it('keeps the private key non-extractable in memory, IndexedDB and string keystores', async () => {
    const generated = await DeviceKey.generate();
    await expect(crypto.subtle.exportKey('pkcs8', generated.privateKey)).rejects.toThrow();
    const idb = new IndexedDbDeviceKeyStorage({ databaseName: `dev-${Date.now()}` });
    const created = await idb.create();
    const loaded = await idb.load();
    expect(loaded?.thumbprint).toBe(created.thumbprint);
    expect(loaded?.privateKey.extractable).toBe(false);
    const keystore = new MemoryKeystore();
    const ks = new KeystoreDeviceKeyStorage(keystore);
    const made = await ks.create();
    const again = await ks.load();
    expect(again?.thumbprint).toBe(made.thumbprint);
    expect(again?.privateKey.extractable).toBe(false);
    await ks.delete();
    expect(await ks.load()).toBeUndefined();
    const exportable = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    await expect(DeviceKey.fromPair(exportable)).rejects.toMatchObject({ code: 'corrupt_data' });
  });

  it('keeps the refresh token in the keystore through secure items', async () => {
    const keystore = new MemoryKeystore();
    const sessions = new SecureItemsSessionStore(new SecureItems(keystore));
    const { t } = await transport({ sessions });
    await t.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID });
    expect(await keystore.getSecret('item.bulwark-session')).toBeDefined();
    await t.logout();
    expect(await keystore.getSecret('item.bulwark-session')).toBeUndefined();
  });
});
