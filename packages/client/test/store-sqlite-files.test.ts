/**
 * The SQLite backend's files on disk (Node only, so apart from the behaviour suite that also runs
 * in Chromium): created 0600 whatever the umask, older databases narrowed to 0600 and their
 * key-id index dropped, with re-encryption still finding every stale record.
 */
import { chmod, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BackendVaultStorage, EncryptedStore, Vault } from '../src/index.js';
import { SqliteBackend } from '../src/node/index.js';
import { collections, openWorld, storeSubjects } from './fakes/store-world.js';

const site = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Site ${id}`,
  status: 'open',
  visits: 2,
  residentPhone: `+44 20 7946 ${id.padStart(4, '0')}`,
  residentEmail: `Resident.${id}@Example.org`,
  notes: `gate code ${id}#`,
  ...extra,
});

describe('SQLite files', () => {
  const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

  it('creates the database, its WAL and shared-memory files 0600, whatever the umask', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-modes-'));
    const path = join(folder, 'store.db');
    const previous = process.umask(0o022);
    try {
      const backend = await SqliteBackend.open({ path });
      await backend.write([{ kind: 'meta', key: 'k', value: new Uint8Array([1]) }]);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(await modeOf(file), file).toBe(0o600);
      await backend.close();
    } finally {
      process.umask(previous);
    }
  });

  it('drops the key-id index of an older database, and re-encryption still finds every stale record', async () => {
    const {
      store,
      vault: first,
      backend,
      keystore,
      clock,
    } = await openWorld(storeSubjects[3] as (typeof storeSubjects)[number], {
      batchSize: 4,
    });
    const path = (backend as SqliteBackend).files[0] as string;
    await store.putMany(
      'sites',
      Array.from({ length: 10 }, (_, i) => site(String(i))),
    );
    await store.close();
    first.close();
    const old = new Database(path);
    old.exec('CREATE INDEX records_key_id ON records (key_id) WHERE key_id IS NOT NULL');
    old.close();
    const reopened = await SqliteBackend.open({ path });
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_schema WHERE name = 'records_key_id'").all()).toEqual([]);
    check.close();
    const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(reopened) });
    await vault.unlock();
    const again = await EncryptedStore.open({ backend: reopened, vault, collections, batchSize: 4, clock });
    const newKey = await vault.rotateDataKey();
    expect(await again.reencrypt()).toBe(10);
    expect(await reopened.staleKeys(newKey, 100)).toEqual([]);
    expect(await again.get('sites', '7')).toEqual(site('7'));
    await again.close();
  });

  it('narrows the files of a database created before to 0600 when it opens', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-modes-'));
    const path = join(folder, 'store.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x)');
    for (const file of [path, `${path}-wal`, `${path}-shm`]) await chmod(file, 0o644);
    const backend = await SqliteBackend.open({ path });
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(await modeOf(file), file).toBe(0o600);
    await backend.close();
    old.close();
  });
});
