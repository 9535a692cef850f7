/**
 * The page of `npm run bench:demo` (bundled for Chromium): one first sync of the demo's
 * inspections into a fresh IndexedDB store, timed from the first pull request to the last page
 * applied, with the demo's collection as declared (the resident phone sealed and blind-free) or
 * with every field plain.
 */
import {
  BackendVaultStorage,
  type CollectionSpec,
  EncryptedStore,
  fromSchema,
  IndexedDbBackend,
  IndexedDbDeviceKeyStorage,
  MemoryKeystore,
  MemorySessionStore,
  SyncEngine,
  Transport,
  Vault,
  webCryptoSealer,
} from '@bulwark/client';
import { inspections } from '../../apps/demo/schema.js';

const posture = {
  report: async () => ({
    platform: 'web',
    osVersion: 'bench',
    appVersion: '1.0.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};

/** The demo's collection, or the same with its sensitive fields made plain. */
function spec(sensitive: boolean): CollectionSpec {
  const declared = fromSchema(inspections);
  if (sensitive) return declared;
  const fields = Object.fromEntries(
    Object.entries(declared.fields).map(([name, field]) => [
      name,
      field.class === 'sensitive' ? { class: 'plain' as const } : field,
    ]),
  );
  return { ...declared, fields };
}

let round = 0;

const bench = {
  async firstSync(username: string, password: string, sensitive: boolean) {
    round++;
    const backend = await IndexedDbBackend.open({ databaseName: `bench-${round}-${sensitive}` });
    const vault = await Vault.open({
      keystore: new MemoryKeystore(),
      storage: new BackendVaultStorage(backend),
    });
    await vault.initialize();
    const store = await EncryptedStore.open({
      backend,
      vault,
      collections: [spec(sensitive)],
      sealer: webCryptoSealer,
    });
    const deviceKeys = new IndexedDbDeviceKeyStorage({ databaseName: `bench-keys-${round}` });
    const transport = new Transport({
      baseUrl: location.origin,
      devMode: true,
      deviceKey: await deviceKeys.create(),
      sessions: new MemorySessionStore(),
      posture,
    });
    await transport.login({ username, password, deviceId: crypto.randomUUID() });
    const sync = await SyncEngine.open({ store, vault, transport });
    const started = performance.now();
    const report = await sync.pull();
    const ms = performance.now() - started;
    const count = (await store.ids('inspections')).length;
    await backend.destroy();
    return { ms, upserted: report.upserted, count };
  },
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}
window.bench = bench;
document.title = 'ready';
