/**
 * Wipe and the offline grace period: a revoked device destroys its keys first, then its data,
 * then sends a receipt signed with its device key; afterwards no passcode opens the store, no
 * canary remains on disk and the old tokens are refused. The grace period wipes a device that
 * stayed offline too long, and setting the clock back does not extend it. The protection report
 * states each platform's real protection.
 */
import 'fake-indexeddb/auto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  BackendVaultStorage,
  EncryptedFiles,
  EncryptedStore,
  IndexedDbBackend,
  IndexedDbKeystore,
  KeystoreDeviceKeyStorage,
  MemoryKeystore,
  MemoryReceiptOutbox,
  NetworkError,
  OfflineGrace,
  type OfflineGraceStatus,
  protectionReport,
  ReactNativeKeychainKeystore,
  SecureItems,
  SecureItemsSessionStore,
  ServerProblemError,
  sendPendingWipeReceipt,
  Transport,
  Vault,
  WebStorageReceiptOutbox,
  Wiper,
} from '../src/index.js';
import { DirectoryFileStorage, FileKeystore, nodeSealer, SqliteBackend } from '../src/node/index.js';
import { canary, scan } from './fakes/canary.js';
import { ManualClock } from './fakes/clock.js';
import { FakeReactNativeKeychain } from './fakes/mobile-keystores.js';
import { fakeServerPerTest, healthyPosture } from './fakes/per-test-server.js';
import { sites } from './fakes/store-world.js';

const DEVICE_ID = '0b7e4d9a-3c2f-4e51-8a6b-9f1d2c3e4a5b';
const PASSCODE = 'wipe-me-123';
const server = fakeServerPerTest();

describe('wipe on device_revoked', () => {
  it('destroys keys first, then data, sends a signed receipt, and leaves nothing that opens', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-wipe-'));
    const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
    const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
    const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
    await vault.initialize({ passcode: PASSCODE });
    const store = await EncryptedStore.open({ backend, vault, collections: [sites], sealer: nodeSealer });
    const files = new EncryptedFiles({ storage: new DirectoryFileStorage(join(folder, 'files')), vault });
    const deviceKeys = new KeystoreDeviceKeyStorage(keystore);
    const deviceKey = await deviceKeys.create();
    const sessions = new SecureItemsSessionStore(new SecureItems(keystore));
    const observed: string[] = [];
    vault.onWipe(async () => {
      const file = await readFile(join(folder, 'keystore.json'), 'utf8').catch(
        () => '{"keys":{},"secrets":{}}',
      );
      const left = JSON.parse(file) as { keys: object; secrets: object };
      observed.push(
        `data deleted; keystore entries left: ${Object.keys(left.keys).length + Object.keys(left.secrets).length}`,
      );
      observed.push(`device key left: ${(await deviceKeys.load()) !== undefined}`);
      observed.push(`vault kek left: ${(await keystore.getKey('vault.kek.1')) !== undefined}`);
    });
    let wiper: Wiper | undefined;
    const transport = new Transport({
      baseUrl: server().url,
      devMode: true,
      deviceKey,
      sessions,
      posture: healthyPosture,
      onDeviceRevoked: async () => {
        await wiper?.wipe('device_revoked');
      },
    });
    wiper = new Wiper({ vault, keystore, deviceKeys, deviceKey, deviceId: DEVICE_ID, transport });
    await transport.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID });
    const refreshToken = (await sessions.load())?.refreshToken as string;

    const secrets = Array.from({ length: 20 }, () => canary());
    await store.putMany(
      'sites',
      secrets.map((c, i) => ({ id: `s${i}`, name: `n${i}`, residentPhone: c, notes: c })),
    );
    await files.put('photo', new Blob([secrets.join('|')]).stream());
    expect(await scan(folder, secrets)).toEqual([]);

    server().revoked.add(DEVICE_ID);
    await expect(transport.request('GET', '/me')).rejects.toMatchObject({ code: 'device_revoked' });

    expect(observed).toEqual([
      'data deleted; keystore entries left: 0',
      'device key left: false',
      'vault kek left: false',
    ]);
    // The receipt is signed with the device key, for this device, and typed as the server expects.
    expect(server().wipeReceipts).toHaveLength(1);
    const receipt = server().wipeReceipts[0] as string;
    expect(decodeProtectedHeader(receipt)).toMatchObject({ alg: 'ES256', typ: 'bulwark-wipe+jwt' });
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(deviceKey.publicKey)), alg: 'ES256' }] });
    const { payload } = await jwtVerify(receipt, jwks, { typ: 'bulwark-wipe+jwt', subject: DEVICE_ID });
    expect(typeof payload.iat).toBe('number');

    // Nothing opens afterwards, nothing is left on disk, the old tokens are refused.
    expect(await scan(folder, secrets)).toEqual([]);
    expect((await readdir(folder)).filter((f) => f !== 'keystore.json')).toEqual([]);
    const reopened = await Vault.open({
      keystore: await FileKeystore.open({ path: join(folder, 'keystore.json') }),
      storage: new BackendVaultStorage(await SqliteBackend.open({ path: join(folder, 'store.db') })),
    });
    for (const passcode of [PASSCODE, 'other', '']) {
      await expect(reopened.unlock(passcode)).rejects.toMatchObject({ code: 'vault_not_initialized' });
    }
    expect(await sessions.load()).toBeUndefined();
    const res = await fetch(`${server().url}/auth/refresh`, {
      method: 'POST',
      body: JSON.stringify({ refreshToken }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    await expect(transport.request('GET', '/me')).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it('wipes on logout-with-wipe without sending a receipt, and runs once when called twice', async () => {
    const keystore = new MemoryKeystore();
    const vault = await Vault.open({
      keystore,
      storage: new (await import('../src/index.js')).MemoryVaultStorage(),
    });
    await vault.initialize();
    const deviceKeys = new KeystoreDeviceKeyStorage(keystore);
    const deviceKey = await deviceKeys.create();
    const wiper = new Wiper({ vault, keystore, deviceKeys, deviceKey, deviceId: DEVICE_ID });
    const [a, b] = await Promise.all([wiper.wipe('logout'), wiper.wipe('logout')]);
    expect(a).toBe(b);
    expect(a).toEqual({ reason: 'logout', receiptSent: false });
    expect(vault.status).toBe('wiped');
  });
});

describe('offline grace period', () => {
  async function setup() {
    const clock = new ManualClock();
    const items = new SecureItems(new MemoryKeystore());
    let wipes = 0;
    const grace = new OfflineGrace({ items, clock, onExpired: async () => void wipes++ });
    return { clock, items, grace, wipes: () => wipes };
  }

  it('wipes after the grace period without a check-in, not before', async () => {
    const { clock, grace, wipes } = await setup();
    expect(await grace.enforce()).toBe(false);
    await grace.setGracePeriod(3600);
    await grace.checkIn();
    clock.advance(3599_000);
    expect(await grace.enforce()).toBe(false);
    await grace.checkIn();
    clock.advance(3600_000);
    expect(await grace.enforce()).toBe(false);
    clock.advance(1_000 + 1);
    expect(await grace.enforce()).toBe(true);
    expect(wipes()).toBe(1);
  });

  it('is not extended by setting the device clock back', async () => {
    const { clock, grace } = await setup();
    await grace.setGracePeriod(60);
    await grace.checkIn();
    clock.advance(50_000);
    expect(await grace.enforce()).toBe(false);
    clock.advance(-40_000);
    clock.advance(0);
    expect(await grace.enforce()).toBe(false);
    clock.advance(25_000);
    // The wall clock says 35 s since the check-in; 50 s + 25 s of forward steps have passed.
    expect(await grace.enforce()).toBe(true);
  });

  it('keeps the period when a check-in and the policy arrive together (a sign-in calls both, unawaited)', async () => {
    const clock = new ManualClock();
    // The first write is slow (a keystore plugin, a file): left unserialised, the check-in's write,
    // started first with the state it read before the period was set, would land last.
    const keystore = new MemoryKeystore();
    const write = keystore.setSecret.bind(keystore);
    let writes = 0;
    keystore.setSecret = async (name, value, options) => {
      if (writes++ === 0) await new Promise((resolve) => setTimeout(resolve, 30));
      return write(name, value, options);
    };
    let wipes = 0;
    const grace = new OfflineGrace({
      items: new SecureItems(keystore),
      clock,
      onExpired: async () => void wipes++,
    });
    await Promise.all([grace.checkIn(clock.now()), grace.setGracePeriod(3600)]);
    clock.advance(3601_000);
    expect(await grace.enforce()).toBe(true);
    expect(wipes).toBe(1);
  });

  it('treats a damaged record as expired, never as unlimited', async () => {
    const { items, grace, wipes } = await setup();
    await items.set('bulwark-grace', '{"elapsed":"none"}');
    expect((await grace.status()).expired).toBe(true);
    expect((await grace.status()).remainingMs).toBe(0);
    expect(await grace.enforce()).toBe(true);
    expect(wipes()).toBe(1);
  });

  it('tells the time left, warns once a day before the wipe, and starts again after a check-in', async () => {
    const clock = new ManualClock();
    const items = new SecureItems(new MemoryKeystore());
    const warnings: OfflineGraceStatus[] = [];
    let wipes = 0;
    const grace = new OfflineGrace({
      items,
      clock,
      onExpired: async () => void wipes++,
      onWarning: (status) => void warnings.push(status),
    });
    const HOUR = 3600_000;
    // No record, no period: no limit to tell.
    expect(await grace.status()).toMatchObject({ graceSeconds: 0, remainingMs: undefined, warning: false });
    await grace.setGracePeriod(7 * 24 * 3600);
    await grace.checkIn();
    clock.advance(5 * 24 * HOUR);
    expect(await grace.status()).toMatchObject({
      offlineMs: 5 * 24 * HOUR,
      remainingMs: 2 * 24 * HOUR,
      warnBeforeMs: 24 * HOUR,
      warning: false,
      expired: false,
    });
    clock.advance(24 * HOUR - 1);
    expect(await grace.enforce()).toBe(false);
    expect((await grace.status()).warning).toBe(false);
    clock.advance(1);
    expect(await grace.enforce()).toBe(false);
    await Promise.resolve();
    await Promise.resolve();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ remainingMs: 24 * HOUR, warning: true });
    // Once per stretch offline: later observations tell the time left without calling again.
    clock.advance(5 * HOUR);
    expect((await grace.status()).remainingMs).toBe(19 * HOUR);
    expect(await grace.enforce()).toBe(false);
    await Promise.resolve();
    expect(warnings).toHaveLength(1);
    // Setting the clock back gives no time back to the countdown either.
    clock.advance(-10 * HOUR);
    expect((await grace.status()).remainingMs).toBe(19 * HOUR);
    // A check-in ends the stretch; the next one warns again.
    await grace.checkIn();
    expect(await grace.status()).toMatchObject({ offlineMs: 0, remainingMs: 7 * 24 * HOUR, warning: false });
    clock.advance(6 * 24 * HOUR + HOUR);
    expect((await grace.status()).warning).toBe(true);
    await Promise.resolve();
    await Promise.resolve();
    expect(warnings).toHaveLength(2);
    clock.advance(23 * HOUR + 1);
    expect(await grace.status()).toMatchObject({ remainingMs: 0, warning: false, expired: true });
    expect(await grace.enforce()).toBe(true);
    expect(wipes).toBe(1);
  });

  it('warns halfway through a short period, and a throwing warning handler never stops the wipe', async () => {
    const clock = new ManualClock();
    let wipes = 0;
    let calls = 0;
    const grace = new OfflineGrace({
      items: new SecureItems(new MemoryKeystore()),
      clock,
      onExpired: async () => void wipes++,
      onWarning: () => {
        calls++;
        throw new Error('the app broke');
      },
    });
    await grace.setGracePeriod(3600);
    await grace.checkIn();
    clock.advance(1799_000);
    expect(await grace.status()).toMatchObject({ warnBeforeMs: 1800_000, warning: false });
    clock.advance(1_000);
    expect((await grace.status()).warning).toBe(true);
    clock.advance(1800_001);
    expect(await grace.enforce()).toBe(true);
    await Promise.resolve();
    expect(calls).toBe(1);
    expect(wipes).toBe(1);
    expect(
      () =>
        new OfflineGrace({
          items: new SecureItems(new MemoryKeystore()),
          onExpired: async () => undefined,
          warnBeforeSeconds: -1,
        }),
    ).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});

describe('protection report', () => {
  it('states each platform honestly', async () => {
    const browser = protectionReport({
      platform: 'browser',
      keystore: (await IndexedDbKeystore.open({ databaseName: `pr-${Date.now()}` })).protection,
      storeBackend: 'indexeddb',
      wholeRecord: false,
      passcode: false,
      pinning: false,
    });
    const item = (r: typeof browser, id: string) => r.items.find((i) => i.id === id)?.protected;
    expect(item(browser, 'keys_non_extractable')).toBe(true);
    expect(item(browser, 'keys_hardware_backed')).toBe(false);
    expect(item(browser, 'survives_code_running_in_the_app')).toBe(false);
    expect(item(browser, 'plain_fields_encrypted_at_rest')).toBe(false);
    expect(item(browser, 'tls_pinning')).toBe(false);
    expect(item(browser, 'copied_data_useless_without_device')).toBe(false);
    const mobile = protectionReport({
      platform: 'react-native',
      keystore: new ReactNativeKeychainKeystore(new FakeReactNativeKeychain()).protection,
      storeBackend: 'sqlite',
      wholeRecord: true,
      passcode: true,
      pinning: true,
    });
    expect(item(mobile, 'keys_hardware_backed')).toBe('device-dependent');
    expect(item(mobile, 'keys_non_extractable')).toBe(false);
    expect(item(mobile, 'copied_data_useless_without_device')).toBe(true);
    expect(item(mobile, 'passcode_required')).toBe(true);
    const node = protectionReport({
      platform: 'node',
      keystore: (await FileKeystore.open({ path: join(await mkdtemp(join(tmpdir(), 'pr-')), 'k.json') }))
        .protection,
      storeBackend: 'sqlite',
      wholeRecord: false,
      passcode: false,
      pinning: true,
    });
    expect(item(node, 'keys_hardware_backed')).toBe(false);
    expect(item(node, 'copied_data_useless_without_device')).toBe(false);
  });
});

describe('receipt outbox', () => {
  it('keeps a receipt in Web Storage until the server has it, and decides by the refusal', async () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    };
    const outbox = new WebStorageReceiptOutbox(storage);
    const answering = (err?: unknown) => ({
      publicRequest: async () => {
        if (err !== undefined) throw err;
        return { status: 'wipe_confirmed' };
      },
    });
    expect(await sendPendingWipeReceipt(outbox, answering())).toBe('none');
    await outbox.save('a.b.c');
    expect(items.get('bulwark.wipe-receipt')).toBe('a.b.c');
    // Worth another try: no network, a server error, throttling, a timeout.
    for (const err of [
      new NetworkError('offline'),
      new ServerProblemError(503, 'unavailable', 'down'),
      new ServerProblemError(429, 'rate_limited', 'slow down'),
      new ServerProblemError(408, 'timeout', 'late'),
    ]) {
      expect(await sendPendingWipeReceipt(outbox, answering(err))).toBe('kept');
      expect(await outbox.load()).toBe('a.b.c');
    }
    // A bug is not swallowed, and the receipt stays.
    await expect(sendPendingWipeReceipt(outbox, answering(new TypeError('bug')))).rejects.toThrow('bug');
    expect(await outbox.load()).toBe('a.b.c');
    // Refused for good: dropped.
    expect(
      await sendPendingWipeReceipt(
        outbox,
        answering(new ServerProblemError(400, 'invalid_wipe_receipt', 'no')),
      ),
    ).toBe('dropped');
    expect(items.size).toBe(0);
    await outbox.save('d.e.f');
    expect(await sendPendingWipeReceipt(outbox, answering())).toBe('sent');
    expect(await outbox.load()).toBeUndefined();
    const memory = new MemoryReceiptOutbox();
    await memory.save('x.y.z');
    expect(
      await sendPendingWipeReceipt(
        memory,
        answering(new ServerProblemError(404, 'device_not_found', 'gone')),
      ),
    ).toBe('dropped');
  });
});

describe('wipe of data that is not open', () => {
  it('destroys the store backends named in `data`, and destroying one twice is harmless', async () => {
    const keystore = new MemoryKeystore();
    const databaseName = `wipe-closed-${Date.now()}`;
    const backend = await IndexedDbBackend.open({ databaseName });
    const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
    await vault.initialize({ passcode: PASSCODE });
    // Written by an earlier session's store; no store is open now.
    await backend.write([{ kind: 'meta', key: 'left-behind', value: new Uint8Array([1, 2, 3]) }]);
    const deviceKeys = new KeystoreDeviceKeyStorage(keystore);
    const deviceKey = await deviceKeys.create();
    const wiper = new Wiper({ vault, keystore, deviceKeys, deviceKey, deviceId: DEVICE_ID, data: [backend] });
    expect(await wiper.wipe('manual')).toEqual({ reason: 'manual', receiptSent: false });
    const reopened = await IndexedDbBackend.open({ databaseName });
    expect(await reopened.getMeta('left-behind')).toBeUndefined();
    expect(await reopened.getMeta('vault')).toBeUndefined();
    await reopened.close();
    await expect(backend.destroy()).resolves.toBeUndefined();
  });
});
