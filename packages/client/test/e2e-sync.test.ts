/**
 * End to end against the real server's data and sync routes (packages/server, in-process on
 * loopback, a small schema of its own): enroll, pull, edit offline, push, see the server reject
 * an invalid edit with its reason, see a conflict resolved for the server, get revoked, wipe.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collection, defineSchema, t } from '@bulwark/core/schema';
import { buildApp, createServerContext, createUser, openDatabase } from '@bulwark/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendVaultStorage,
  EncryptedStore,
  fromSchema,
  KeystoreDeviceKeyStorage,
  SecureItems,
  SecureItemsSessionStore,
  SyncEngine,
  Transport,
  Vault,
  Wiper,
} from '../src/index.js';
import { FileKeystore, nodeSealer, SqliteBackend } from '../src/node/index.js';
import { canary, scan } from './fakes/canary.js';
import { ManualClock } from './fakes/clock.js';
import { ADMIN, posture, revokeAsAdmin } from './lib/real-server.js';

const notes = collection('notes', {
  fields: {
    title: t.string({ maxLength: 100 }),
    status: t.enum(['open', 'done']),
    phone: t.string({ maxLength: 64 }).sensitive().optional(),
    score: t.number({ min: 0, max: 100 }).serverOnly().optional(),
  },
});
const schema = defineSchema({ version: 1, collections: [notes] });
const PASSWORD = 'correct horse battery staple';

let server: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  const db = await openDatabase({ dataDir: await mkdtemp(join(tmpdir(), 'bulwark-e2e-sync-')) });
  const ctx = await createServerContext({
    db: db.db,
    cache: db.cache,
    auth: { passwords: { maxConcurrentHashes: 2, maxQueuedHashes: 64 } },
    data: {
      schema,
      collections: {
        notes: {
          // A business rule only the server knows: the device's validator accepts the record,
          // the server refuses it with a reason.
          hooks: {
            beforeWrite: (event: { record: Readonly<Record<string, unknown>> }) =>
              event.record.title === 'forbidden'
                ? {
                    issues: [
                      { path: '/title', code: 'title_forbidden', message: 'this title is not allowed' },
                    ],
                  }
                : { record: event.record },
          },
        },
      },
    },
  });
  const deps = { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now };
  await createUser(deps, { username: 'ada', password: PASSWORD, role: 'user' });
  await createUser(deps, { ...ADMIN, role: 'admin' });
  const app = await buildApp({ db: db.db, context: ctx, logger: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  server = {
    url,
    close: async () => {
      await app.close();
      await ctx.events.flush();
      await db.close();
    },
  };
}, 60_000);

afterAll(async () => {
  await server.close();
});

async function device(username: string, password: string) {
  const folder = await mkdtemp(join(tmpdir(), 'bulwark-e2e-sync-device-'));
  const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
  const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
  const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
  await vault.initialize({ passcode: '482916' });
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: [fromSchema(notes, { blindIndex: { phone: true } })],
    sealer: nodeSealer,
  });
  const deviceKeys = new KeystoreDeviceKeyStorage(keystore);
  const deviceKey = await deviceKeys.create();
  const deviceId = randomUUID();
  let online = true;
  let wiper: Wiper | undefined;
  const transport = new Transport({
    baseUrl: server.url,
    devMode: true,
    deviceKey,
    sessions: new SecureItemsSessionStore(new SecureItems(keystore)),
    posture,
    fetch: async (input, init) => {
      if (!online) throw new TypeError('fetch failed');
      return fetch(input, init);
    },
    onDeviceRevoked: async () => {
      await wiper?.wipe('device_revoked');
    },
  });
  wiper = new Wiper({ vault, keystore, deviceKeys, deviceKey, deviceId, transport });
  await transport.login({ username, password, deviceId });
  const clock = new ManualClock();
  const sync = await SyncEngine.open({ store, vault, transport, clock });
  return {
    folder,
    store,
    sync,
    clock,
    transport,
    deviceId,
    setOnline: (value: boolean) => {
      online = value;
    },
  };
}

describe('sync against the real server', () => {
  it('pulls, pushes offline edits, reports rejections and conflicts, then wipes on revocation', async () => {
    const a = await device('ada', PASSWORD);
    const b = await device('ada', PASSWORD);
    const id = randomUUID();
    const secret = canary();

    // Device A creates a note offline; it is queued, sealed, and pushed once online.
    a.setOnline(false);
    await a.sync.put('notes', { id, title: 'Gate', status: 'open', phone: secret });
    expect((await a.sync.push()).pending).toBe(1);
    a.setOnline(true);
    a.clock.advance(60_000);
    expect(await a.sync.push()).toMatchObject({ applied: 1, pending: 0, rejected: [], conflicts: [] });

    // Device B pulls it: decrypted locally, findable by its blind index, never the serverOnly score.
    const pulled = await b.sync.pull();
    expect(pulled.upserted).toBe(1);
    expect(await b.store.get('notes', id)).toEqual({ id, title: 'Gate', status: 'open', phone: secret });
    expect((await b.store.find('notes', { phone: secret })).map((r) => r.id)).toEqual([id]);

    // An edit the server refuses comes back with the server's code and reasons, and leaves the outbox.
    const refused = randomUUID();
    await a.sync.put('notes', { id: refused, title: 'forbidden', status: 'open' });
    const rejection = await a.sync.push();
    expect(rejection.pending).toBe(0);
    expect(rejection.rejected).toHaveLength(1);
    expect(rejection.rejected[0]).toMatchObject({
      id: refused,
      issues: [expect.objectContaining({ path: '/title', code: 'title_forbidden' })],
    });

    // B edits on the version it has; A edits the same note first: B loses to the server.
    await a.sync.put('notes', { id, title: 'Gate (A)', status: 'done', phone: secret });
    expect((await a.sync.push()).applied).toBe(1);
    await b.sync.put('notes', { id, title: 'Gate (B)', status: 'open', phone: secret });
    const conflict = await b.sync.push();
    expect(conflict.conflicts).toHaveLength(1);
    expect(conflict.conflicts[0]).toMatchObject({ id, attempted: { title: 'Gate (B)' } });
    expect(await b.store.get('notes', id)).toMatchObject({ title: 'Gate (A)', status: 'done' });

    // Revocation: the next sync gets device_revoked, the device wipes, nothing readable remains.
    await revokeAsAdmin(server.url, b.deviceId, 'lost');
    await expect(b.sync.pull()).rejects.toMatchObject({ code: 'device_revoked' });
    expect(await scan(b.folder, [secret])).toEqual([]);
    await expect(b.store.get('notes', id)).rejects.toMatchObject({ code: 'vault_wiped' });
  });
});
