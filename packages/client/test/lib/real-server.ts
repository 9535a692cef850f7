/**
 * Helpers of the end-to-end tests against the real server: a device's posture report and state
 * on disk, and an admin who revokes a device from a device of its own (as the admin console would).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, createServerContext, createUser, openDatabase } from '@bulwark/server';
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
/** A user account. */
export const USER = { username: 'ada', password: 'correct horse battery staple' };

/** A server that runs for a suite. */
export interface RealServer {
  readonly url: string;
  readonly db: Awaited<ReturnType<typeof openDatabase>>;
  close(): Promise<void>;
}

/**
 * The real Bulwark server on loopback, on SQLite in a temporary folder, with USER and ADMIN;
 * `extend` adds routes before it starts (a test page, say); `data` is the app's schema and rules.
 */
export async function startRealServer(
  extend?: (app: Awaited<ReturnType<typeof buildApp>>) => void,
  data?: Parameters<typeof createServerContext>[0]['data'],
  auth?: Parameters<typeof createServerContext>[0]['auth'],
): Promise<RealServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-e2e-server-'));
  const db = await openDatabase({ dataDir });
  const ctx = await createServerContext({
    db: db.db,
    cache: db.cache,
    auth: { ...auth, passwords: { maxConcurrentHashes: 2, maxQueuedHashes: 64 } },
    ...(data === undefined ? {} : { data }),
  });
  const deps = { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now };
  await createUser(deps, { ...USER, role: 'user' });
  await createUser(deps, { ...ADMIN, role: 'admin' });
  const app = await buildApp({ db: db.db, context: ctx, logger: false });
  extend?.(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    db,
    close: async () => {
      await app.close();
      await ctx.events.flush();
      await db.close();
    },
  };
}

/** A healthy desktop device's posture. */
export const posture = {
  report: async () => ({
    platform: 'electron',
    osVersion: '30.0',
    appVersion: '1.4.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};

/** The server's record of a device: `active`, `revoked`, `wipe_confirmed`, … */
export async function deviceStatus(server: RealServer, deviceId: string): Promise<string | undefined> {
  const row = await server.db.db
    .selectFrom('devices')
    .select(['status'])
    .where('id', '=', deviceId)
    .executeTakeFirst();
  return row?.status;
}

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
