/**
 * Canary scan of what a dropped record leaves behind on the Node SQLite store: plain fields (in
 * clear by design while the record is held) must not survive its delete, its drop by a pull, or a
 * wipe, in the database file, its free pages, its WAL or journal.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackendVaultStorage,
  EncryptedFiles,
  EncryptedStore,
  MemoryFileStorage,
  MemoryKeystore,
  Vault,
} from '../src/index.js';
import { nodeSealer, SqliteBackend } from '../src/node/index.js';
import { canary, filesUnder, scan } from './fakes/canary.js';
import { ManualClock } from './fakes/clock.js';
import { DAY, findings, sites } from './fakes/store-world.js';

async function openStore(folder: string, passcode?: string) {
  const clock = new ManualClock();
  const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
  const vault = await Vault.open({
    keystore: new MemoryKeystore(),
    storage: new BackendVaultStorage(backend),
  });
  await vault.initialize(passcode === undefined ? {} : { passcode });
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: [sites, findings],
    sealer: nodeSealer,
    clock,
  });
  return { backend, vault, store, clock };
}

const site = (id: string, name: string) => ({ id, name, status: 'open', visits: 1, notes: canary() });

describe('plain fields of a dropped record', () => {
  it('leave no trace in the database, its free pages or its WAL after a delete', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-residue-'));
    const { store } = await openStore(folder);
    const kept = Array.from({ length: 40 }, (_, i) => site(`k${i}`, `kept ${i}`));
    await store.putMany('sites', kept);
    const dropped = Array.from({ length: 40 }, (_, i) => site(`d${i}`, canary()));
    await store.putMany('sites', dropped);
    await store.put('findings', { id: 'f1', title: 'fine', detail: 'x', severity: 1 });
    const names = dropped.map((r) => r.name);
    expect((await scan(folder, names)).length).toBeGreaterThan(0);
    await store.delete('sites', ...dropped.map((r) => r.id));
    expect(await scan(folder, names)).toEqual([]);
    expect(await store.get('sites', 'k3')).toMatchObject({ name: 'kept 3' });
  });

  it('leave no trace after a batch committed through the store (as the sync engine removes records)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-residue-'));
    const { store } = await openStore(folder);
    const dropped = Array.from({ length: 30 }, (_, i) => site(`d${i}`, canary()));
    await store.putMany('sites', [
      ...Array.from({ length: 30 }, (_, i) => site(`k${i}`, `kept ${i}`)),
      ...dropped,
    ]);
    const names = dropped.map((r) => r.name);
    await store.commit(dropped.map((r) => ({ kind: 'delete' as const, collection: 'sites', id: r.id })));
    expect(await scan(folder, names)).toEqual([]);
    expect(await store.ids('sites')).toHaveLength(30);
  });

  it('leave no trace, nor their attached files, after they expire (purgeExpired)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-residue-'));
    const { vault, store, clock } = await openStore(folder);
    const files = new EncryptedFiles({ storage: new MemoryFileStorage(), vault, store });
    const old = Array.from({ length: 20 }, (_, i) => site(`old${i}`, canary()));
    await store.putMany('sites', old);
    for (const r of old) await files.attach('sites', r.id, 'p1', new Blob(['photo']).stream());
    clock.advance(31 * DAY);
    await store.putMany(
      'sites',
      Array.from({ length: 20 }, (_, i) => site(`new${i}`, `new ${i}`)),
    );
    await files.attach('sites', 'new1', 'p1', new Blob(['photo']).stream());
    expect(await store.purgeExpired()).toBe(20);
    expect(
      await scan(
        folder,
        old.map((r) => r.name),
      ),
    ).toEqual([]);
    expect(await files.attachments('sites', 'old3')).toEqual([]);
    expect(await files.attachments('sites', 'new1')).toEqual(['p1']);
  });
});

/** Whether `needle` occurs in any file under `folder`. */
async function holds(folder: string, needle: Uint8Array): Promise<boolean> {
  for (const file of await filesUnder(folder)) {
    if ((await readFile(file)).includes(Buffer.from(needle))) return true;
  }
  return false;
}

describe('the vault state a passcode change replaced', () => {
  it('is not left in the WAL, where the old passcode would still unwrap the root key', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-residue-'));
    const { backend, vault, store } = await openStore(folder, 'old passcode 1');
    await store.put('sites', site('s1', 'one'));
    const before = (await backend.getMeta('vault')) as Uint8Array;
    expect(await holds(folder, before)).toBe(true);
    await vault.changePasscode('old passcode 1', 'new passcode 2');
    expect(await backend.getMeta('vault')).not.toEqual(before);
    expect(await holds(folder, before)).toBe(false);
  });
});
