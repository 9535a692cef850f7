/**
 * End to end against the real Bulwark server (packages/server, in-process on loopback): enroll
 * with a posture report and DPoP, verify the signed device policy, call an authenticated route,
 * get revoked by an admin, wipe (keys first, then data), have the signed wipe receipt accepted,
 * and see the old tokens refused. Sync against the real server: e2e-sync.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendVaultStorage,
  DeviceKey,
  EncryptedStore,
  MemorySessionStore,
  SecureItems,
  SecureItemsSessionStore,
  sendPendingWipeReceipt,
  Transport,
  Vault,
  Wiper,
} from '../src/index.js';
import { FileKeystore, FileReceiptOutbox, nodeSealer, SqliteBackend } from '../src/node/index.js';
import { canary, scan } from './fakes/canary.js';
import { sites } from './fakes/store-world.js';
import {
  deviceOnDisk,
  deviceStatus,
  posture,
  type RealServer,
  revokeAsAdmin,
  startRealServer,
  USER,
} from './lib/real-server.js';

let server: RealServer;

beforeAll(async () => {
  server = await startRealServer();
}, 60_000);

afterAll(async () => {
  await server.close();
});

describe('SDK against the real server', () => {
  it('enrolls, works, gets revoked, wipes, and its receipt is accepted', async () => {
    const { folder, keystore, backend, vault, deviceKeys, deviceKey, deviceId } =
      await deviceOnDisk('bulwark-e2e-device-');
    const store = await EncryptedStore.open({ backend, vault, collections: [sites], sealer: nodeSealer });
    const sessions = new SecureItemsSessionStore(new SecureItems(keystore));
    let wiper: Wiper | undefined;
    const wipes: unknown[] = [];
    const transport = new Transport({
      baseUrl: server.url,
      devMode: true,
      deviceKey,
      sessions,
      posture,
      onDeviceRevoked: async () => {
        wipes.push(await wiper?.wipe('device_revoked'));
      },
    });
    wiper = new Wiper({ vault, keystore, deviceKeys, deviceKey, deviceId, transport });

    const { user, settings } = await transport.login({
      username: 'ada',
      password: 'correct horse battery staple',
      deviceId,
    });
    expect(user.username).toBe('ada');
    expect(settings.offlineGraceSeconds).toBeGreaterThan(0);
    const me = await transport.request<{ deviceId: string }>('GET', '/me');
    expect(me.deviceId).toBe(deviceId);
    await transport.refresh();
    const oldSession = await sessions.load();

    const secrets = [canary(), canary()];
    await store.put('sites', { id: 's1', name: 'Depot', residentPhone: secrets[0], notes: secrets[1] });

    // An admin revokes the device from another device.
    await revokeAsAdmin(server.url, deviceId, 'stolen');

    await expect(transport.request('GET', '/me')).rejects.toMatchObject({
      code: 'device_revoked',
      status: 403,
    });
    expect(wipes).toEqual([{ reason: 'device_revoked', receiptSent: true }]);
    expect(await deviceStatus(server, deviceId)).toBe('wipe_confirmed');

    // Nothing local opens, no canary is left, the old refresh token is refused by the server.
    expect(await scan(folder, secrets)).toEqual([]);
    const reopened = await Vault.open({
      keystore: await FileKeystore.open({ path: join(folder, 'keystore.json') }),
      storage: new BackendVaultStorage(await SqliteBackend.open({ path: join(folder, 'store.db') })),
    });
    await expect(reopened.unlock('482916')).rejects.toMatchObject({ code: 'vault_not_initialized' });
    const replaySessions = new MemorySessionStore();
    await replaySessions.save(oldSession as NonNullable<typeof oldSession>);
    const stale = new Transport({
      baseUrl: server.url,
      devMode: true,
      deviceKey,
      sessions: replaySessions,
      posture,
    });
    const error = await stale.refresh().catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBeGreaterThanOrEqual(400);
    expect(['device_revoked', 'session_revoked', 'refresh_token_reused', 'invalid_refresh_token']).toContain(
      (error as { code?: string }).code,
    );
  });

  it('keeps a receipt the network lost and sends it later; the server confirms the wipe', async () => {
    const { folder, keystore, vault, deviceKeys, deviceKey, deviceId } =
      await deviceOnDisk('bulwark-e2e-outbox-');
    // The receipt lives apart from what the wipe deletes.
    const outbox = new FileReceiptOutbox(join(folder, 'outbox', 'wipe-receipt.jws'));
    let online = true;
    const fetchOnline: typeof fetch = (input, init) =>
      online ? fetch(input, init) : Promise.reject(new TypeError('fetch failed'));
    let wiper: Wiper | undefined;
    const wipes: unknown[] = [];
    const transport = new Transport({
      baseUrl: server.url,
      devMode: true,
      deviceKey,
      sessions: new SecureItemsSessionStore(new SecureItems(keystore)),
      posture,
      fetch: fetchOnline,
      onDeviceRevoked: async () => {
        // The device learns of its revocation, then loses the network before the receipt goes.
        online = false;
        wipes.push(await wiper?.wipe('device_revoked'));
      },
    });
    wiper = new Wiper({ vault, keystore, deviceKeys, deviceKey, deviceId, transport, outbox });
    await transport.login({ ...USER, deviceId });

    await revokeAsAdmin(server.url, deviceId, 'lost');
    await expect(transport.request('GET', '/me')).rejects.toMatchObject({ code: 'device_revoked' });
    expect(wipes).toEqual([{ reason: 'device_revoked', receiptSent: false }]);
    const status = () => deviceStatus(server, deviceId);
    expect(await status()).toBe('revoked');
    // The keys are gone, the receipt is not.
    expect(await deviceKeys.load()).toBeUndefined();
    const pending = await outbox.load();
    expect(pending).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);

    // Still offline at the next start: kept.
    expect(await sendPendingWipeReceipt(outbox, transport)).toBe('kept');
    expect(await outbox.load()).toBe(pending);
    // Back online: sent, confirmed, gone from the outbox; a second call has nothing to do.
    online = true;
    expect(await sendPendingWipeReceipt(outbox, transport)).toBe('sent');
    expect(await status()).toBe('wipe_confirmed');
    expect(await outbox.load()).toBeUndefined();
    expect(await sendPendingWipeReceipt(outbox, transport)).toBe('none');

    // A receipt the server refuses for good (not a receipt of this device) is dropped, not retried.
    await outbox.save(`${pending?.slice(0, -4)}AAAA`);
    expect(await sendPendingWipeReceipt(outbox, transport)).toBe('dropped');
    expect(await outbox.load()).toBeUndefined();
  });

  it('surfaces a refused login with the server code', async () => {
    const transport = new Transport({
      baseUrl: server.url,
      devMode: true,
      deviceKey: await DeviceKey.generate(),
      sessions: new MemorySessionStore(),
      posture,
    });
    await expect(
      transport.login({ username: 'ada', password: 'wrong password here', deviceId: randomUUID() }),
    ).rejects.toMatchObject({
      code: 'invalid_credentials',
      status: 401,
    });
  });
});
