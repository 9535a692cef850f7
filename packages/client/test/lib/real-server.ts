/**
 * Helpers of the end-to-end tests against the real server: a device's posture report and state
 * on disk, and an admin who revokes a device from a device of its own (as the admin console would).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendVaultStorage,
  DeviceKey,
  KeystoreDeviceKeyStorage,
  MemorySessionStore,
  Transport,
  Vault,
} from '../../src/index.js';
import { FileKeystore, SqliteBackend } from '../../src/node/index.js';

/** The admin account both end-to-end suites create. */
export const ADMIN = { username: 'root', password: 'an admin passphrase of some length' };

/** A healthy desktop device's posture. */
export const posture = {
  report: async () => ({
    platform: 'electron',
    osVersion: '30.0',
    appVersion: '1.4.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};

/** Signs the admin in on a fresh device and revokes `deviceId`. */
export async function revokeAsAdmin(baseUrl: string, deviceId: string, reason: string): Promise<void> {
  const admin = new Transport({
    baseUrl,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions: new MemorySessionStore(),
    posture,
  });
  await admin.login({ ...ADMIN, deviceId: randomUUID() });
  await admin.request('POST', `/admin/devices/${deviceId}/revoke`, { reason });
}

/** A device's state in a folder of its own: keystore file, SQLite store, an initialised vault, a device key. */
export async function deviceOnDisk(prefix: string, passcode = '482916') {
  const folder = await mkdtemp(join(tmpdir(), prefix));
  const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
  const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
  const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
  await vault.initialize({ passcode });
  const deviceKeys = new KeystoreDeviceKeyStorage(keystore);
  const deviceKey = await deviceKeys.create();
  return { folder, keystore, backend, vault, deviceKeys, deviceKey, deviceId: randomUUID() };
}
