/**
 * End to end against the real server (in-process on loopback, read rules by team): a device
 * keeps no record its user lost access to, also when the user had an edit of it queued while the
 * removal (or a reset) came in. The pull leaves such a record alone until its push resolves; the
 * server then answers the push `not_found` (no record the user may see has this id), and that
 * answer is the device's last word on the record: it must delete its copy.
 */
import { randomUUID } from 'node:crypto';
import { utf8Encode } from '@bulwark/core/crypto';
import { collection, defineSchema, t } from '@bulwark/core/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceKey,
  EncryptedStore,
  fromSchema,
  MemorySessionStore,
  SyncEngine,
  Transport,
} from '../src/index.js';
import { nodeSealer } from '../src/node/index.js';
import { canary, scan } from './fakes/canary.js';
import { ManualClock } from './fakes/clock.js';
import { ADMIN, deviceOnDisk, posture, type RealServer, startRealServer, USER } from './lib/real-server.js';

const jobs = collection('jobs', {
  fields: {
    title: t.string({ maxLength: 100 }),
    team: t.string({ maxLength: 20 }),
    phone: t.string({ maxLength: 64 }).sensitive().optional(),
  },
});
const schema = defineSchema({ version: 1, collections: [jobs] });
const byTeam = {
  any: [
    { field: 'team', in: { claim: 'teams' } },
    { claim: 'role', eq: 'admin' },
  ],
} as const;

let server: RealServer;
let ada: string;

beforeAll(async () => {
  server = await startRealServer(undefined, {
    schema,
    collections: { jobs: { rules: { read: byTeam, write: byTeam } } },
  });
  const row = await server.db.db
    .selectFrom('users')
    .select('id')
    .where('username', '=', USER.username)
    .executeTakeFirstOrThrow();
  ada = row.id;
  await server.db.db.insertInto('user_teams').values({ user_id: ada, team: 'north' }).execute();
}, 60_000);

afterAll(async () => {
  await server.close();
});

/** Ada's device: a store on disk, a transport that can be cut off, a sync engine. */
async function adaDevice() {
  const disk = await deviceOnDisk('bulwark-e2e-access-');
  const store = await EncryptedStore.open({
    backend: disk.backend,
    vault: disk.vault,
    collections: [fromSchema(jobs)],
    sealer: nodeSealer,
  });
  let online = true;
  const transport = new Transport({
    baseUrl: server.url,
    devMode: true,
    deviceKey: disk.deviceKey,
    sessions: new MemorySessionStore(),
    posture,
    fetch: async (input, init) => {
      if (!online) throw new TypeError('fetch failed');
      return fetch(input, init);
    },
  });
  await transport.login({ ...USER, deviceId: disk.deviceId });
  const clock = new ManualClock();
  const sync = await SyncEngine.open({ store, vault: disk.vault, transport, clock });
  return {
    folder: disk.folder,
    backend: disk.backend,
    store,
    sync,
    clock,
    setOnline: (value: boolean) => {
      online = value;
    },
  };
}

async function adminTransport(): Promise<Transport> {
  const admin = new Transport({
    baseUrl: server.url,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions: new MemorySessionStore(),
    posture,
  });
  await admin.login({ ...ADMIN, deviceId: randomUUID() });
  return admin;
}

describe('a record the user lost access to while an edit of it was queued', () => {
  it('is deleted from the device when the push of the edit is answered not_found (record reassigned)', async () => {
    const device = await adaDevice();
    const id = randomUUID();
    const secret = canary();
    await device.sync.put('jobs', { id, title: 'Boiler', team: 'north', phone: secret });
    expect(await device.sync.push()).toMatchObject({ applied: 1, pending: 0 });

    // Offline, Ada edits the job; the push fails and waits for its backoff.
    device.setOnline(false);
    await device.sync.put('jobs', { id, title: 'Boiler (checked)', team: 'north', phone: secret });
    expect((await device.sync.push()).pending).toBe(1);
    device.setOnline(true);

    // Meanwhile the job moves to a team Ada is not in.
    const admin = await adminTransport();
    await admin.request('PATCH', `/data/jobs/${id}`, { team: 'south' });

    // The pull brings the removal, but the queued edit keeps the record until its push resolves.
    await device.sync.pull();
    device.clock.advance(10 * 60_000);
    const report = await device.sync.push();
    expect(report.rejected).toMatchObject([{ id, code: 'not_found' }]);
    expect(report.pending).toBe(0);

    // The server will never send this record (or its removal) again: the device must not keep it.
    expect(await device.store.get('jobs', id)).toBeUndefined();
    expect(await device.sync.pull()).toMatchObject({ upserted: 0, removed: 0 });
    expect(await device.store.get('jobs', id)).toBeUndefined();
    expect(await scan(device.folder, [secret])).toEqual([]);
  });

  it('is deleted from the device when the push of the edit is answered not_found after a reset (team left)', async () => {
    const device = await adaDevice();
    const id = randomUUID();
    await device.sync.put('jobs', { id, title: 'Roof', team: 'north' });
    expect(await device.sync.push()).toMatchObject({ applied: 1, pending: 0 });
    await device.sync.pull();

    device.setOnline(false);
    await device.sync.put('jobs', { id, title: 'Roof (checked)', team: 'north' });
    expect((await device.sync.push()).pending).toBe(1);
    device.setOnline(true);

    // Ada leaves the team: her next pull starts over (reset) and keeps only the queued record.
    await server.db.db.deleteFrom('user_teams').where('user_id', '=', ada).execute();
    try {
      expect(await device.sync.pull()).toMatchObject({ reset: true });
      device.clock.advance(10 * 60_000);
      expect((await device.sync.push()).rejected).toMatchObject([{ id, code: 'not_found' }]);
      expect(await device.store.get('jobs', id)).toBeUndefined();
    } finally {
      await server.db.db.insertInto('user_teams').values({ user_id: ada, team: 'north' }).execute();
    }
  });

  it('keeps a record the user created when its create is refused (the data is theirs, not the server’s)', async () => {
    const device = await adaDevice();
    const id = randomUUID();
    // A create for a team Ada is not in: refused by the write rule, reported, kept on the device.
    await device.sync.put('jobs', { id, title: 'Draft', team: 'south' });
    const report = await device.sync.push();
    expect(report.rejected).toMatchObject([{ id, code: 'forbidden' }]);
    expect(await device.store.get('jobs', id)).toEqual({ id, title: 'Draft', team: 'south' });
  });
});

describe('a checkpoint the server no longer accepts', () => {
  it('starts over as a reset: drops what the user may no longer hold, keeps syncing', async () => {
    const device = await adaDevice();
    const kept = randomUUID();
    const moved = randomUUID();
    await device.sync.put('jobs', { id: kept, title: 'Stays', team: 'north' });
    await device.sync.put('jobs', { id: moved, title: 'Moves', team: 'north' });
    expect(await device.sync.push()).toMatchObject({ applied: 2, pending: 0 });
    await device.sync.pull();

    const admin = await adminTransport();
    await admin.request('PATCH', `/data/jobs/${moved}`, { team: 'south' });
    // The stored checkpoint is refused (400 invalid_checkpoint), as after the server's checkpoint
    // secret changed or a store restored from another device: the removal of `moved` it would
    // have led to is lost with it.
    await device.backend.write([
      {
        kind: 'meta',
        key: 'sync.checkpoint',
        value: utf8Encode('1.0000000000000000.AAAAAAAAAAAAAAAAAAAAAA'),
      },
    ]);

    const report = await device.sync.pull();
    expect(report.reset).toBe(true);
    expect(await device.store.get('jobs', moved)).toBeUndefined();
    expect(await device.store.get('jobs', kept)).toEqual({ id: kept, title: 'Stays', team: 'north' });
    expect(await device.sync.pull()).toMatchObject({ reset: false, upserted: 0, removed: 0 });
  });
});

describe('a queued record the server refuses as malformed', () => {
  it('is reported and dropped from the outbox instead of failing every later push', async () => {
    const device = await adaDevice();
    const good = randomUUID();
    // Ids the push envelope refuses (400 invalid_request for the whole request): upper case, not v4.
    const upper = randomUUID().toUpperCase();
    const timeBased = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    await device.sync.put('jobs', { id: upper, title: 'Upper', team: 'north' });
    await device.sync.put('jobs', { id: good, title: 'Good', team: 'north' });
    await device.sync.put('jobs', { id: timeBased, title: 'Time-based', team: 'north' });
    const report = await device.sync.push();
    expect(report.rejected.map((r) => [r.id, r.code, r.issues.map((i) => i.path)])).toEqual([
      [upper, 'invalid_request', ['/id']],
      [timeBased, 'invalid_request', ['/id']],
    ]);
    expect(report).toMatchObject({ applied: 1, pending: 0 });
    expect(await device.sync.push()).toMatchObject({ applied: 0, pending: 0, rejected: [] });
    const admin = await adminTransport();
    expect(await admin.request('GET', `/data/jobs/${good}`)).toMatchObject({ record: { title: 'Good' } });
  });
});
