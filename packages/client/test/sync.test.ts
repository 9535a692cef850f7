/**
 * The sync engine against a fake server: an encrypted outbox written with the local edit, retries
 * with exponential backoff and the same mutation id (a lost answer is applied once), pull by
 * checkpoint with removals, records with queued edits left alone, rejections and conflicts
 * reported with the server's reasons, and a revoked device not retried.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BackendVaultStorage,
  DeviceKey,
  EncryptedFiles,
  EncryptedStore,
  MemoryKeystore,
  MemorySessionStore,
  SyncEngine,
  Transport,
  Vault,
} from '../src/index.js';
import { DirectoryFileStorage, nodeSealer, SqliteBackend } from '../src/node/index.js';
import { canary, scan } from './fakes/canary.js';
import { ManualClock } from './fakes/clock.js';
import { FakeServer } from './fakes/fake-server.js';
import { FakeSyncData } from './fakes/fake-sync-server.js';
import { sites } from './fakes/store-world.js';

const DEVICE_ID = '2d8f7a61-0c4b-4f7e-9d1a-5b3c6e8f9a01';
let server: FakeServer;
let data: FakeSyncData;
/** `one-pull-page`: the next pull request goes through, then the network is gone (`offline`). */
let mode: 'online' | 'offline' | 'drop-push-response' | 'one-pull-page';

beforeEach(async () => {
  data = new FakeSyncData();
  server = new FakeServer({ handlers: data.handlers() });
  await server.start();
  mode = 'online';
});
afterEach(async () => {
  await server.stop();
});

async function world() {
  const folder = await mkdtemp(join(tmpdir(), 'bulwark-sync-'));
  const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
  const vault = await Vault.open({
    keystore: new MemoryKeystore(),
    storage: new BackendVaultStorage(backend),
  });
  await vault.initialize();
  const store = await EncryptedStore.open({ backend, vault, collections: [sites], sealer: nodeSealer });
  const flakyFetch: typeof fetch = async (input, init) => {
    if (mode === 'offline') throw new TypeError('fetch failed');
    if (mode === 'one-pull-page' && String(input).endsWith('/sync/pull')) mode = 'offline';
    const response = await fetch(input, init);
    if (mode === 'drop-push-response' && String(input).endsWith('/sync/push'))
      throw new TypeError('socket hang up');
    return response;
  };
  const transport = new Transport({
    baseUrl: server.url,
    devMode: true,
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
    fetch: flakyFetch,
  });
  await transport.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID });
  const clock = new ManualClock();
  const sync = await SyncEngine.open({ store, vault, transport, clock });
  return { folder, backend, vault, store, sync, clock };
}

const pushes = () => server.seen.filter((r) => r.path === '/sync/push').length;

describe('outbox and push', () => {
  it('queues an edit in an encrypted outbox and pushes it once the server is reachable', async () => {
    const { folder, store, sync, clock } = await world();
    const secret = canary();
    mode = 'offline';
    await sync.put('sites', { id: 's1', name: 'Depot', status: 'open', residentPhone: secret });
    expect(await store.get('sites', 's1')).toMatchObject({ residentPhone: secret });
    expect(await sync.pending()).toBe(1);
    expect(await scan(folder, [secret])).toEqual([]);
    const first = await sync.push();
    expect(first).toMatchObject({ applied: 0, pending: 1 });
    expect((first.nextAttemptAt as number) - clock.now()).toBeGreaterThanOrEqual(500);
    mode = 'online';
    const before = pushes();
    expect((await sync.push()).pending).toBe(1);
    expect(pushes()).toBe(before);
    clock.advance(1000);
    expect(await sync.push()).toMatchObject({ applied: 1, pending: 0, rejected: [], conflicts: [] });
    expect(data.rows.get('sites/s1')?.record).toMatchObject({ residentPhone: secret });
  });

  it('applies a mutation once when the answer was lost and the push is retried', async () => {
    const { sync, clock } = await world();
    await sync.put('sites', { id: 's1', name: 'Depot' });
    mode = 'drop-push-response';
    expect(await sync.push()).toMatchObject({ applied: 0, pending: 1 });
    expect(data.applications).toBe(1);
    mode = 'online';
    clock.advance(5 * 60_000);
    expect(await sync.push()).toMatchObject({ applied: 1, pending: 0 });
    expect(data.applications).toBe(1);
    await sync.put('sites', { id: 's1', name: 'Depot 2' });
    expect(await sync.push()).toMatchObject({ applied: 1, conflicts: [] });
    expect(data.rows.get('sites/s1')?.version).toBe(2);
  });

  it('backs off exponentially with jitter, up to the ceiling', async () => {
    const { sync, clock } = await world();
    await sync.put('sites', { id: 's1', name: 'Depot' });
    mode = 'offline';
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const report = await sync.push();
      delays.push((report.nextAttemptAt as number) - clock.now());
      clock.advance((report.nextAttemptAt as number) - clock.now());
    }
    for (const [i, delay] of delays.entries()) {
      const ceiling = Math.min(300_000, 1000 * 2 ** i);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
    expect(delays.at(-1)).toBeLessThanOrEqual(300_000);
  });

  it('reports a rejection with the server reasons and drops the edit from the outbox', async () => {
    const { sync } = await world();
    await sync.put('sites', { id: 's1', name: 'Depot', status: 'pending' });
    await sync.put('sites', { id: 's1', name: 'Depot', status: 'pending', visits: 2 });
    const report = await sync.push();
    expect(report.rejected).toEqual([
      {
        mutationId: expect.any(String),
        collection: 'sites',
        id: 's1',
        code: 'validation_failed',
        issues: [{ path: '/status', code: 'not_in_enum', message: 'status must be open or closed' }],
        dropped: 1,
      },
    ]);
    expect(report.pending).toBe(0);
    expect(data.rows.has('sites/s1')).toBe(false);
  });

  it('resolves a conflict in favour of the server and reports the local attempt', async () => {
    const { sync, store } = await world();
    data.serverWrite('sites', 's1', { name: 'Server v1', status: 'open' });
    await sync.pull();
    data.serverWrite('sites', 's1', { name: 'Server v2', status: 'closed' });
    await sync.put('sites', { id: 's1', name: 'Local edit', status: 'open' });
    const report = await sync.push();
    expect(report.conflicts).toEqual([
      {
        mutationId: expect.any(String),
        collection: 'sites',
        id: 's1',
        serverVersion: 2,
        serverRecord: { name: 'Server v2', status: 'closed' },
        attempted: { name: 'Local edit', status: 'open' },
        dropped: 0,
      },
    ]);
    expect(await store.get('sites', 's1')).toEqual({ id: 's1', name: 'Server v2', status: 'closed' });
  });

  it('reports a conflict whose server record this store refuses, and still answers the rest of the batch', async () => {
    const { sync, store } = await world();
    data.serverWrite('sites', 's1', { name: 'Server v1', status: 'open' });
    await sync.pull();
    // The server's newer version holds a field this app version does not know (or may not store).
    data.serverWrite('sites', 's1', { name: 'Server v2', status: 'open', riskScore: 10 });
    await sync.put('sites', { id: 's1', name: 'Local edit', status: 'open' });
    await sync.put('sites', { id: 's2', name: 'Other', status: 'open' });
    const report = await sync.push();
    expect(report).toMatchObject({ applied: 1, pending: 0, rejected: [] });
    expect(report.conflicts).toMatchObject([
      { collection: 'sites', id: 's1', serverVersion: 2, attempted: { name: 'Local edit' } },
    ]);
    // The device cannot hold the server's version: it keeps neither that nor its losing edit.
    expect(await store.get('sites', 's1')).toBeUndefined();
    expect(await store.get('sites', 's2')).toEqual({ id: 's2', name: 'Other', status: 'open' });
    expect(data.applications).toBe(1);
    expect(await sync.push()).toMatchObject({ applied: 0, pending: 0 });
    expect(data.applications).toBe(1);
  });

  it('drops its copy of a record whose collection is no longer synced when the push of an edit is refused', async () => {
    const { sync, store } = await world();
    data.serverWrite('sites', 's1', { name: 'Server', status: 'open' });
    await sync.pull();
    mode = 'offline';
    await sync.put('sites', { id: 's1', name: 'Local edit', status: 'open' });
    await sync.put('sites', { id: 'new', name: 'Created here', status: 'open' });
    mode = 'online';
    // The operator makes the collection online-only: its reset kept s1 for its queued edit.
    data.notSynced.add('sites');
    data.resetNext = true;
    expect((await sync.pull()).reset).toBe(true);
    const report = await sync.push();
    expect(report.rejected.map((r) => [r.id, r.code])).toEqual([
      ['s1', 'collection_not_synced'],
      ['new', 'collection_not_synced'],
    ]);
    expect(await store.get('sites', 's1')).toBeUndefined();
    // A record made on this device is the user's own: kept, and reported.
    expect(await store.get('sites', 'new')).toEqual({ id: 'new', name: 'Created here', status: 'open' });
  });

  it('drops a record whose removal came while its edit was queued, even when the retried push answers with its record', async () => {
    const { sync, store, clock } = await world();
    data.serverWrite('sites', 's1', { name: 'Server v1', status: 'open' });
    await sync.pull();
    await sync.put('sites', { id: 's1', name: 'Local edit', status: 'open' });
    data.serverWrite('sites', 's1', { name: 'Server v2', status: 'open' });
    // The push is answered (a conflict, with the server's record then), but the answer is lost.
    mode = 'drop-push-response';
    expect((await sync.push()).pending).toBe(1);
    // Then the record leaves what this user may hold; the pull skips its removal (edit queued).
    data.serverWrite('sites', 's1', undefined);
    mode = 'online';
    await sync.pull();
    clock.advance(10 * 60_000);
    // The retry gets the first answer again, record and all: it must not bring the record back.
    const report = await sync.push();
    expect(report.conflicts).toMatchObject([{ id: 's1', serverRecord: { name: 'Server v2' } }]);
    expect(await store.get('sites', 's1')).toBeUndefined();
    expect(await sync.pull()).toMatchObject({ upserted: 0, removed: 0 });
    expect(await store.get('sites', 's1')).toBeUndefined();
  });

  it('keeps a record whose skipped removal was followed by a skipped upsert (visible again)', async () => {
    const { sync, store } = await world();
    data.serverWrite('sites', 's1', { name: 'Server v1', status: 'open' });
    await sync.pull();
    mode = 'offline';
    await sync.put('sites', { id: 's1', name: 'Local edit', status: 'open' });
    mode = 'online';
    data.serverWrite('sites', 's1', undefined);
    await sync.pull();
    data.serverWrite('sites', 's1', { name: 'Back', status: 'open' });
    await sync.pull();
    const report = await sync.push();
    expect(report.conflicts).toMatchObject([{ id: 's1', serverRecord: { name: 'Back' } }]);
    expect(await store.get('sites', 's1')).toEqual({ id: 's1', name: 'Back', status: 'open' });
  });

  it('does not retry a revoked device', async () => {
    const { sync } = await world();
    await sync.put('sites', { id: 's1', name: 'Depot' });
    server.revoked.add(DEVICE_ID);
    await expect(sync.push()).rejects.toMatchObject({ code: 'device_revoked' });
  });
});

describe('data key rotation', () => {
  it('keeps queued edits through rotation, store re-encryption and retirement, and pushes them', async () => {
    const { vault, store, sync, clock } = await world();
    mode = 'offline';
    await sync.put('sites', { id: 's1', name: 'Depot', status: 'open', residentPhone: '+44 20 7946 0001' });
    expect(await sync.pending()).toBe(1);
    const [oldKey] = vault.dataKeyIds;
    await vault.rotateDataKey();
    await store.reencrypt();
    expect(await sync.pending()).toBe(1);
    await vault.retireDataKey(oldKey as string);
    expect(await sync.pending()).toBe(1);
    mode = 'online';
    clock.advance(5 * 60_000);
    expect(await sync.push()).toMatchObject({ applied: 1, pending: 0 });
    expect(data.rows.get('sites/s1')?.record).toMatchObject({ residentPhone: '+44 20 7946 0001' });
  });
});

describe('pull', () => {
  it('pulls pages by checkpoint, applies removals, and asks only for what is new', async () => {
    const { sync, store } = await world();
    for (let i = 1; i <= 5; i++)
      data.serverWrite('sites', `s${i}`, { name: `Site ${i}`, residentPhone: `+1 555 010${i}` });
    data.serverWrite('sites', 's3', undefined);
    const first = await sync.pull();
    expect(first).toEqual({ upserted: 4, removed: 1, invalid: [], reset: false });
    expect((await store.all('sites')).map((r) => r.id)).toEqual(['s1', 's2', 's4', 's5']);
    expect((await store.find('sites', { residentPhone: '+1 555 0104' })).map((r) => r.id)).toEqual(['s4']);
    expect(await sync.pull()).toEqual({ upserted: 0, removed: 0, invalid: [], reset: false });
    data.serverWrite('sites', 's6', { name: 'Site 6' });
    expect(await sync.pull()).toEqual({ upserted: 1, removed: 0, invalid: [], reset: false });
  });

  it('on reset, replaces every synced record with the server snapshot but keeps queued edits', async () => {
    const { sync, store } = await world();
    data.serverWrite('sites', 's1', { name: 'one' });
    data.serverWrite('sites', 's2', { name: 'two' });
    await sync.pull();
    // The server stops sending s2 (e.g. a rule change it cannot express as a removal) and resets.
    data.rows.delete('sites/s2');
    data.log.splice(
      data.log.findIndex((e) => e.id === 's2'),
      1,
    );
    mode = 'offline';
    await sync.put('sites', { id: 'local', name: 'queued' });
    mode = 'online';
    data.resetNext = true;
    const report = await sync.pull();
    expect(report.reset).toBe(true);
    expect((await store.all('sites')).map((r) => r.id)).toEqual(['local', 's1']);
  });

  it('drops, on a reset that no longer sends them (the collection made online-only, say), the records with their attached files and every trace of their plain fields', async () => {
    const { folder, vault, sync, store } = await world();
    const files = new EncryptedFiles({
      storage: await DirectoryFileStorage.open(join(folder, 'files')),
      vault,
      store,
    });
    const names = [canary(), canary()];
    data.serverWrite('sites', 's1', { name: names[0] });
    data.serverWrite('sites', 's2', { name: names[1] });
    await sync.pull();
    await sync.put('sites', { id: 'mine', name: 'kept for its queued edit' });
    for (const id of ['s1', 's2', 'mine']) {
      await files.attach('sites', id, 'p1', new Blob([`photo of ${id}`]).stream());
    }
    expect(await scan(folder, names)).not.toEqual([]);
    data.rows.clear();
    data.log.splice(0);
    data.resetNext = true;
    expect((await sync.pull()).reset).toBe(true);
    expect(await store.ids('sites')).toEqual(['mine']);
    expect(await files.attachments('sites', 's1')).toEqual([]);
    expect(await files.attachments('sites', 's2')).toEqual([]);
    expect(await files.attachments('sites', 'mine')).toEqual(['p1']);
    expect(await scan(folder, names)).toEqual([]);

    // A local delete takes the attached files too.
    await sync.delete('sites', 'mine');
    expect(await files.attachments('sites', 'mine')).toEqual([]);
  });

  it('keeps the attached files of every record a reset pass sends back, over several pages and a restart in the middle, and deletes the others at its end', async () => {
    const { folder, vault, sync, store } = await world();
    const files = new EncryptedFiles({
      storage: await DirectoryFileStorage.open(join(folder, 'files')),
      vault,
      store,
    });
    for (let i = 1; i <= 5; i++) data.serverWrite('sites', `s${i}`, { name: `Site ${i}` });
    await sync.pull();
    for (let i = 1; i <= 5; i++) {
      await files.attach('sites', `s${i}`, 'p1', new Blob([`photo ${i}`]).stream());
    }
    // s2 leaves what this user may hold, and the server can only say so by a reset.
    data.rows.delete('sites/s2');
    data.log.splice(
      data.log.findIndex((e) => e.id === 's2'),
      1,
    );
    data.resetNext = true;
    mode = 'one-pull-page';
    await expect(sync.pull()).rejects.toMatchObject({ code: 'network_error' });
    // The first page (s1, s3) is applied; s4 and s5 come back on the next page.
    expect(await store.ids('sites')).toEqual(['s1', 's3']);
    expect(await store.dropsHeld()).toBe(true);
    for (const id of ['s4', 's5']) expect(await files.attachments('sites', id)).toEqual(['p1']);
    // A restart here sweeps nothing: the pass has not ended.
    expect(await files.deleteOrphanAttachments()).toBe(0);
    mode = 'online';
    await sync.pull();
    expect(await store.dropsHeld()).toBe(false);
    expect(await store.ids('sites')).toEqual(['s1', 's3', 's4', 's5']);
    for (const id of ['s1', 's3', 's4', 's5']) expect(await files.attachments('sites', id)).toEqual(['p1']);
    expect(await files.attachments('sites', 's2')).toEqual([]);
  });

  it('leaves records with queued edits alone and reports changes the store refuses', async () => {
    const { sync, store } = await world();
    mode = 'offline';
    await sync.put('sites', { id: 's1', name: 'Local' });
    mode = 'online';
    data.serverWrite('sites', 's1', { name: 'Server' });
    data.serverWrite('sites', 's2', { name: 'Bad', riskScore: 10 });
    data.serverWrite('unknown', 'u1', { x: 1 });
    const report = await sync.pull();
    expect(report.invalid).toEqual([
      { collection: 'sites', id: 's2', code: 'server_only_field' },
      { collection: 'unknown', id: 'u1', code: 'unknown_collection' },
    ]);
    expect(await store.get('sites', 's1')).toEqual({ id: 's1', name: 'Local' });
    expect(await store.get('sites', 's2')).toBeUndefined();
  });
});
