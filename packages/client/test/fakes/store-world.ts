/**
 * Store test subjects: every backend (memory, IndexedDB through fake-indexeddb, SQLite) with the
 * WebCrypto sealer, and SQLite with the node:crypto sealer, each with a vault whose state lives in
 * the backend. The collections exercise every field class and mode.
 */
import 'fake-indexeddb/auto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendVaultStorage,
  type CollectionSpec,
  EncryptedStore,
  IndexedDbBackend,
  MemoryBackend,
  MemoryKeystore,
  type Sealer,
  type StoreBackend,
  Vault,
  webCryptoSealer,
} from '../../src/index.js';
import { nodeSealer, SqliteBackend } from '../../src/node/index.js';
import { ManualClock } from './clock.js';

export const DAY = 24 * 3600_000;

export const sites: CollectionSpec = {
  name: 'sites',
  schemaVersion: 1,
  maxAgeMs: 30 * DAY,
  fields: {
    name: { class: 'plain' },
    status: { class: 'plain' },
    visits: { class: 'plain' },
    residentPhone: { class: 'sensitive', blindIndex: true },
    residentEmail: { class: 'sensitive', blindIndex: { caseInsensitive: true } },
    notes: { class: 'sensitive' },
    riskScore: { class: 'serverOnly' },
  },
};

export const findings: CollectionSpec = {
  name: 'findings',
  schemaVersion: 3,
  wholeRecord: true,
  fields: { title: { class: 'plain' }, detail: { class: 'sensitive' }, severity: { class: 'plain' } },
};

export const archive: CollectionSpec = {
  name: 'archive',
  schemaVersion: 1,
  offline: false,
  fields: { body: { class: 'plain' } },
};

export const collections = [sites, findings, archive];

export interface StoreSubject {
  readonly name: string;
  readonly sealer: Sealer;
  backend(): Promise<StoreBackend>;
}

let counter = 0;

export const storeSubjects: StoreSubject[] = [
  { name: 'memory', sealer: webCryptoSealer, backend: async () => new MemoryBackend() },
  {
    name: 'indexeddb',
    sealer: webCryptoSealer,
    backend: () => IndexedDbBackend.open({ databaseName: `store-${process.pid}-${++counter}` }),
  },
  {
    name: 'sqlite',
    sealer: webCryptoSealer,
    backend: async () =>
      SqliteBackend.open({ path: join(await mkdtemp(join(tmpdir(), 'bulwark-store-')), 'store.db') }),
  },
  {
    name: 'sqlite + node:crypto',
    sealer: nodeSealer,
    backend: async () =>
      SqliteBackend.open({ path: join(await mkdtemp(join(tmpdir(), 'bulwark-store-')), 'store.db') }),
  },
];

export async function openWorld(subject: StoreSubject, options: { batchSize?: number } = {}) {
  const clock = new ManualClock();
  const backend = await subject.backend();
  const keystore = new MemoryKeystore();
  const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend), clock });
  await vault.initialize();
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections,
    clock,
    sealer: subject.sealer,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
  });
  return { clock, backend, keystore, vault, store };
}
