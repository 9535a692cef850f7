/**
 * One wipe path for every trigger: the failed-unlock limit, a revocation answered by the server,
 * the offline grace period, sign-out, `wiper.wipe()` and `vault.wipe()` all destroy every key,
 * secure item, session and data set the app registered — open or not — and app callbacks that
 * call `wipe()` again while it runs get the same wipe instead of a deadlock. What is left is
 * checked where it lives: the keystore file, the SQLite file, the backends, the folder on disk.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackendVaultStorage,
  EncryptedStore,
  KeystoreDeviceKeyStorage,
  MemoryBackend,
  MemoryFileStorage,
  MemoryKeystore,
  MemoryReceiptOutbox,
  MemorySessionStore,
  OfflineGrace,
  SecureItems,
  SecureItemsSessionStore,
  Transport,
  Vault,
  WipeIncompleteError,
  type WipeResult,
  Wiper,
} from '../src/index.js';
import { FileKeystore, nodeSealer, SqliteBackend } from '../src/node/index.js';
import { canary, scan } from './fakes/canary.js';
import { ManualClock } from './fakes/clock.js';
import { fakeServerPerTest, healthyPosture } from './fakes/per-test-server.js';
import { sites } from './fakes/store-world.js';

const DEVICE_ID = '5d0c6a8e-2b1f-4c3d-9e7a-1f2b3c4d5e6f';
const PASSCODE = 'unlock-me-271';
const server = fakeServerPerTest();

/** Settles within `ms`, or fails the test with a clear message instead of hanging it. */
async function settles<T>(promise: Promise<T>, ms = 5_000): Promise<PromiseSettledResult<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms (deadlock)`)), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the failed-unlock limit at the unlock screen (store not open)', () => {
  /** An earlier run of the app: a secure item, a device key, store rows; then the app quits. */
  async function earlierSession(folder: string) {
    const secrets = { token: canary(), plain: canary(), sensitive: canary() };
    const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
    const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
    const vault = await Vault.open({
      keystore,
      storage: new BackendVaultStorage(backend),
      maxFailedAttempts: 5,
    });
    await vault.initialize({ passcode: PASSCODE });
    await new SecureItems(keystore).set('refresh-token', secrets.token);
    await new KeystoreDeviceKeyStorage(keystore).create();
    const store = await EncryptedStore.open({ backend, vault, collections: [sites], sealer: nodeSealer });
    await store.putMany(
      'sites',
      Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, name: secrets.plain, notes: secrets.sensitive })),
    );
    vault.close();
    await backend.close();
    const before = JSON.parse(await readFile(join(folder, 'keystore.json'), 'utf8'));
    expect(Object.keys(before.secrets).sort()).toEqual(['device.key', 'item.refresh-token']);
    expect(await scan(folder, [secrets.plain])).not.toEqual([]);
    return secrets;
  }

  /** The next run, up to the unlock screen: nothing of the store is opened. */
  async function unlockScreen(folder: string) {
    const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
    const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
    const vault = await Vault.open({
      keystore,
      storage: new BackendVaultStorage(backend),
      maxFailedAttempts: 5,
    });
    return { keystore, backend, vault, deviceKeys: new KeystoreDeviceKeyStorage(keystore) };
  }

  async function expectNothingLeft(folder: string, secrets: Record<string, string>) {
    // The keystore file, read directly: no entry at all.
    const keystoreFile = join(folder, 'keystore.json');
    if (existsSync(keystoreFile)) {
      const left = JSON.parse(await readFile(keystoreFile, 'utf8'));
      expect({ keys: left.keys, secrets: left.secrets }).toEqual({ keys: {}, secrets: {} });
    }
    const reopened = await FileKeystore.open({ path: keystoreFile });
    expect(await reopened.getSecret('item.refresh-token')).toBeUndefined();
    expect(await reopened.getSecret('device.key')).toBeUndefined();
    expect(await reopened.getKey('vault.kek.1')).toBeUndefined();
    // The store's database is gone with its rows, and no secret is anywhere on disk.
    expect(existsSync(join(folder, 'store.db'))).toBe(false);
    expect((await readdir(folder)).filter((f) => f !== 'keystore.json')).toEqual([]);
    expect(await scan(folder, Object.values(secrets))).toEqual([]);
    const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
    expect(await backend.list('sites')).toEqual([]);
    expect(await backend.getMeta('vault')).toBeUndefined();
    await backend.destroy();
  }

  it('five wrong passcodes destroy every key, secure item and store row, not only the vault keys', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-wipe-unlock-'));
    const secrets = await earlierSession(folder);
    const { keystore, backend, vault, deviceKeys } = await unlockScreen(folder);
    const wiped: WipeResult[] = [];
    new Wiper({ vault, keystore, deviceKeys, data: [backend], onWiped: (r) => wiped.push(r) });
    for (let i = 1; i <= 4; i++) {
      await expect(vault.unlock(`wrong-${i}`)).rejects.toMatchObject({
        code: 'wrong_passcode',
        attemptsLeft: 5 - i,
      });
    }
    await expect(vault.unlock('wrong-5')).rejects.toMatchObject({ code: 'vault_wiped' });
    expect(wiped).toEqual([{ reason: 'failed_unlocks', receiptSent: false }]);
    expect(vault.status).toBe('wiped');
    await expectNothingLeft(folder, secrets);
  });

  it("settles when the app's onWipe listener calls the Wiper again, and still destroys everything", async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-wipe-reenter-'));
    const secrets = await earlierSession(folder);
    const { keystore, backend, vault, deviceKeys } = await unlockScreen(folder);
    let notified = 0;
    const wiper: Wiper = new Wiper({
      vault,
      keystore,
      deviceKeys,
      data: [backend],
      // onWiped runs inside the wipe too: waiting there for the wipe must not hang it either.
      onWiped: async () => {
        notified++;
        await wiper.wipe('manual');
      },
    });
    const calls: Array<Promise<WipeResult>> = [];
    // The app's own attempt from the issue, both as a returned promise and as an awaited one.
    vault.onWipe(() => {
      const again = wiper.wipe('failed_unlocks');
      calls.push(again);
      return again;
    });
    vault.onWipe(async () => {
      await wiper.wipe('manual');
    });
    for (let i = 1; i <= 4; i++) await expect(vault.unlock(`wrong-${i}`)).rejects.toThrow();
    const fifth = await settles(vault.unlock('wrong-5'));
    expect(fifth).toMatchObject({ status: 'rejected', reason: { code: 'vault_wiped' } });
    // The listener got the wipe under way: the same promise, with the first trigger's reason.
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBe(wiper.wipe('manual'));
    expect(await calls[0]).toEqual({ reason: 'failed_unlocks', receiptSent: false });
    expect(notified).toBe(1);
    await expectNothingLeft(folder, secrets);
  });

  it('settles when the vault has no Wiper and a listener waits for vault.wipe()', async () => {
    const keystore = new MemoryKeystore();
    const backend = new MemoryBackend();
    const vault = await Vault.open({
      keystore,
      storage: new BackendVaultStorage(backend),
      maxFailedAttempts: 2,
    });
    await vault.initialize({ passcode: PASSCODE });
    vault.lock();
    let runs = 0;
    vault.onWipe(async () => {
      runs++;
      await vault.wipe();
    });
    await expect(vault.unlock('wrong-1')).rejects.toMatchObject({ code: 'wrong_passcode' });
    expect(await settles(vault.unlock('wrong-2'))).toMatchObject({
      status: 'rejected',
      reason: { code: 'vault_wiped' },
    });
    expect(runs).toBe(1);
    expect(await keystore.getKey('vault.kek.1')).toBeUndefined();
  });
});

describe('every trigger takes the same path', () => {
  /**
   * An install with everything a wipe must destroy: the vault, a secure item, a device key kept
   * as a keystore secret, a session, store rows written by an earlier run (the store is not open
   * now), files, and a session store of the app's own.
   */
  async function install() {
    const clock = new ManualClock(Date.now());
    const keystore = new MemoryKeystore();
    const backend = new MemoryBackend();
    {
      const earlier = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
      await earlier.initialize({ passcode: PASSCODE });
      const store = await EncryptedStore.open({ backend, vault: earlier, collections: [sites] });
      await store.putMany('sites', [{ id: 's1', name: 'Depot', notes: 'gate code 4471' }]);
      earlier.close();
    }
    const vault = await Vault.open({
      keystore,
      storage: new BackendVaultStorage(backend),
      maxFailedAttempts: 3,
    });
    await vault.unlock(PASSCODE);
    const items = new SecureItems(keystore);
    await items.set('national-id', '1850321-9876');
    const deviceKeys = new KeystoreDeviceKeyStorage(keystore);
    const deviceKey = await deviceKeys.create();
    const sessions = new SecureItemsSessionStore(items);
    const transport = new Transport({
      baseUrl: server().url,
      devMode: true,
      deviceKey,
      sessions,
      posture: healthyPosture,
      clock,
    });
    const files = new MemoryFileStorage();
    await files.write('photo', new Blob([new Uint8Array([1, 2, 3])]).stream());
    const appSessions = new MemorySessionStore();
    await appSessions.save({ refreshToken: 'other', userId: 'u1', deviceId: DEVICE_ID });
    const outbox = new MemoryReceiptOutbox();
    const wiped: WipeResult[] = [];
    const wiper = new Wiper({
      vault,
      keystore,
      deviceKeys,
      deviceKey,
      deviceId: DEVICE_ID,
      transport,
      outbox,
      clock,
      data: [backend],
      onWiped: (r) => wiped.push(r),
    });
    wiper.register({ data: [files], sessions: [appSessions] });
    const grace = new OfflineGrace({ items, wiper, clock });
    await transport.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID });
    return {
      clock,
      keystore,
      backend,
      vault,
      items,
      deviceKeys,
      sessions,
      transport,
      files,
      appSessions,
      wiper,
      grace,
      wiped,
    };
  }

  type Install = Awaited<ReturnType<typeof install>>;
  const triggers: Array<[string, WipeResult['reason'], (w: Install) => Promise<unknown>]> = [
    [
      'the server answers device_revoked',
      'device_revoked',
      async ({ transport }) => {
        server().revoked.add(DEVICE_ID);
        await expect(transport.request('GET', '/me')).rejects.toMatchObject({ code: 'device_revoked' });
      },
    ],
    [
      'the failed-unlock limit',
      'failed_unlocks',
      async ({ vault }) => {
        vault.lock();
        await expect(vault.unlock('wrong-1')).rejects.toMatchObject({ code: 'wrong_passcode' });
        await expect(vault.unlock('wrong-2')).rejects.toMatchObject({ code: 'wrong_passcode' });
        await expect(vault.unlock('wrong-3')).rejects.toMatchObject({ code: 'vault_wiped' });
      },
    ],
    [
      'the offline grace period expires',
      'offline_grace_expired',
      async ({ grace, clock }) => {
        await grace.setGracePeriod(60);
        await grace.checkIn();
        clock.advance(61_000);
        expect(await grace.enforce()).toBe(true);
      },
    ],
    ['sign-out', 'logout', ({ wiper }) => wiper.signOut()],
    ["the app's request", 'manual', ({ wiper }) => wiper.wipe('manual')],
    ['vault.wipe()', 'manual', ({ vault }) => vault.wipe()],
  ];

  for (const [name, reason, trigger] of triggers) {
    it(`${name}: everything registered is destroyed, once`, async () => {
      const w = await install();
      await trigger(w);
      expect(w.wiped).toEqual([{ reason, receiptSent: reason === 'device_revoked' }]);
      expect(w.vault.status).toBe('wiped');
      expect(await w.keystore.getKey('vault.kek.1')).toBeUndefined();
      expect(await w.items.getString('national-id')).toBeUndefined();
      expect(await w.deviceKeys.load()).toBeUndefined();
      expect(await w.sessions.load()).toBeUndefined();
      expect(await w.appSessions.load()).toBeUndefined();
      expect(await w.backend.list('sites')).toEqual([]);
      expect(await w.backend.getMeta('vault')).toBeUndefined();
      expect(await w.files.read('photo')).toBeUndefined();
      await expect(w.transport.request('GET', '/me')).rejects.toMatchObject({ code: 'not_signed_in' });
      expect(server().wipeReceipts).toHaveLength(reason === 'device_revoked' ? 1 : 0);
      // A second trigger afterwards finds the wipe done: no second run, no second receipt.
      await w.wiper.wipe('manual');
      expect(w.wiped).toHaveLength(1);
      expect(server().wipeReceipts).toHaveLength(reason === 'device_revoked' ? 1 : 0);
    });
  }

  it('shares one wipe among triggers that come while it runs, and keeps the pending receipt', async () => {
    const w = await install();
    server().revoked.add(DEVICE_ID);
    const outbox = new MemoryReceiptOutbox();
    const offline = new Wiper({
      vault: w.vault,
      keystore: w.keystore,
      deviceKey: (await w.deviceKeys.load()) ?? (await w.deviceKeys.create()),
      deviceId: DEVICE_ID,
      outbox,
      data: [w.backend],
    });
    const inner: Array<Promise<unknown>> = [];
    w.vault.onWipe(() => {
      inner.push(w.vault.wipe());
    });
    const first = offline.wipe('device_revoked');
    const second = w.vault.wipe();
    const third = offline.wipe('manual');
    expect(third).toBe(first);
    expect((await settles(Promise.all([first, second, third]))).status).toBe('fulfilled');
    expect(inner).toHaveLength(1);
    expect((await settles(inner[0] as Promise<unknown>)).status).toBe('fulfilled');
    expect(await first).toEqual({ reason: 'device_revoked', receiptSent: false });
    // No transport: the receipt waits in the outbox for sendPendingWipeReceipt.
    expect(await outbox.load()).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await w.backend.list('sites')).toEqual([]);
    expect(await w.items.getString('national-id')).toBeUndefined();
  });

  it('still fails the request with device_revoked when the wipe meets a failure, and wipes again later', async () => {
    const w = await install();
    let failures = 1;
    w.wiper.register({
      data: [
        {
          destroy: async () => {
            if (failures-- > 0) throw new Error('disk busy');
          },
        },
      ],
    });
    server().revoked.add(DEVICE_ID);
    await expect(w.transport.request('GET', '/me')).rejects.toMatchObject({ code: 'device_revoked' });
    expect(w.wiped).toEqual([]);
    expect(await w.items.getString('national-id')).toBeUndefined();
    expect(await w.wiper.wipe('manual')).toEqual({ reason: 'manual', receiptSent: false });
    expect(w.wiped).toHaveLength(1);
  });

  it('wipes a vault initialized anew after a wipe, when its limit is reached again', async () => {
    const keystore = new MemoryKeystore();
    const vault = await Vault.open({
      keystore,
      storage: new BackendVaultStorage(new MemoryBackend()),
      maxFailedAttempts: 1,
    });
    await vault.initialize({ passcode: PASSCODE });
    const items = new SecureItems(keystore);
    const wiper = new Wiper({ vault, keystore });
    vault.lock();
    await expect(vault.unlock('wrong')).rejects.toMatchObject({ code: 'vault_wiped' });
    await vault.initialize({ passcode: PASSCODE });
    await items.set('national-id', '1850321-9876');
    vault.lock();
    await expect(vault.unlock('wrong')).rejects.toMatchObject({ code: 'vault_wiped' });
    expect(await items.getString('national-id')).toBeUndefined();
    expect(await keystore.getKey('vault.kek.1')).toBeUndefined();
    expect(await wiper.wipe('manual')).toEqual({ reason: 'failed_unlocks', receiptSent: false });
  });

  it('runs every step when one fails, reports the failure, and retries on the next call', async () => {
    const keystore = new MemoryKeystore();
    const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(new MemoryBackend()) });
    await vault.initialize();
    const items = new SecureItems(keystore);
    await items.set('national-id', '1850321-9876');
    let failures = 1;
    const stubborn = new MemoryFileStorage();
    await stubborn.write('a', new Blob([new Uint8Array([1])]).stream());
    const flaky = {
      destroy: async () => {
        if (failures-- > 0) throw new Error('disk busy');
      },
    };
    const wiper = new Wiper({ vault, keystore, data: [flaky, stubborn] });
    const failed = await wiper.wipe('manual').catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(WipeIncompleteError);
    expect(failed).toMatchObject({ code: 'wipe_incomplete' });
    // The keys and the other data went anyway.
    expect(await items.getString('national-id')).toBeUndefined();
    expect(await stubborn.read('a')).toBeUndefined();
    expect(vault.status).toBe('wiped');
    expect(await wiper.wipe('manual')).toEqual({ reason: 'manual', receiptSent: false });
  });
});
