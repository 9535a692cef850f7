/**
 * `npx vite-node bench/store/single-deletes.ts`: what an app pays when it deletes records one at a
 * time (`store.delete(c, id)` in a loop, as a list screen's swipe-to-delete does), now that every
 * drop rebuilds the SQLite file. On a store of N records (field-level, node:crypto,
 * `synchronous = FULL`, default N = 1,000 then 10,000), in the same run and in rotated order, on
 * identical copies of the database: 20 deletes one by one with the rebuild (what the store does),
 * the same without it (the backend's `scrub` hidden: only the WAL truncation), the 20 started
 * together and awaited with `Promise.all` (concurrent drops share rebuilds), and the 20 in one
 * call (one rebuild). Prints the median total per mode and the ratios to the run without rebuild
 * (docs/store.md, "What a dropped record leaves").
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendVaultStorage,
  EncryptedStore,
  MemoryKeystore,
  type StoreBackend,
  Vault,
} from '@bulwark/client';
import { nodeSealer, SqliteBackend } from '@bulwark/client/node';
import { siteRecord, siteSpec } from './sites.js';

const SIZES = (process.env.BENCH_RECORDS ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DELETES = 20;

async function open(path: string, keystore: MemoryKeystore, scrub: boolean) {
  const sqlite = await SqliteBackend.open({ path });
  // Without `scrub` the store finds no rebuild to run: the batches still truncate the WAL.
  const backend: StoreBackend = scrub
    ? sqlite
    : new Proxy(sqlite, {
        get: (target, key) => {
          if (key === 'scrub') return undefined;
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
  const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(sqlite) });
  return { sqlite, vault, backend };
}

async function seed(folder: string, n: number) {
  const path = join(folder, `seed-${n}.db`);
  const keystore = new MemoryKeystore();
  const { sqlite, vault, backend } = await open(path, keystore, true);
  await vault.initialize();
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: [siteSpec('field')],
    sealer: nodeSealer,
  });
  for (let i = 0; i < n; i += 1000) {
    await store.putMany(
      'sites',
      Array.from({ length: Math.min(1000, n - i) }, (_, k) => siteRecord(i + k)),
    );
  }
  await sqlite.close();
  return { path, keystore };
}

type Mode =
  | 'one by one, no rebuild'
  | 'one by one, rebuilt (now)'
  | 'not awaited one by one'
  | 'in one call, rebuilt';
const MODES: Mode[] = [
  'one by one, no rebuild',
  'one by one, rebuilt (now)',
  'not awaited one by one',
  'in one call, rebuilt',
];

async function once(
  seeded: { path: string; keystore: MemoryKeystore },
  folder: string,
  n: number,
  mode: Mode,
): Promise<number> {
  const path = join(folder, `round-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(seeded.path, path);
  const { sqlite, vault, backend } = await open(path, seeded.keystore, mode !== 'one by one, no rebuild');
  await vault.unlock();
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: [siteSpec('field')],
    sealer: nodeSealer,
  });
  const step = Math.floor(n / DELETES);
  const ids = Array.from({ length: DELETES }, (_, k) => siteRecord(k * step).id);
  const start = performance.now();
  if (mode === 'in one call, rebuilt') await store.delete('sites', ...ids);
  else if (mode === 'not awaited one by one') await Promise.all(ids.map((id) => store.delete('sites', id)));
  else for (const id of ids) await store.delete('sites', id);
  const ms = performance.now() - start;
  await sqlite.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const folder = mkdtempSync(join(tmpdir(), 'bulwark-bench-deletes-'));
try {
  for (const n of SIZES) {
    const seeded = await seed(folder, n);
    const times = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
    for (const mode of MODES) await once(seeded, folder, n, mode);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < MODES.length; k++) {
        const mode = MODES[(round + k) % MODES.length] as Mode;
        times.get(mode)?.push(await once(seeded, folder, n, mode));
      }
    }
    const base = median(times.get('one by one, no rebuild') ?? []);
    console.log(`\n${DELETES} deletes on ${n} records:`);
    for (const mode of MODES) {
      const m = median(times.get(mode) ?? []);
      console.log(
        `  ${mode.padEnd(28)} ${m.toFixed(1).padStart(8)} ms total  ${(m / DELETES).toFixed(2).padStart(6)} ms/delete  ${(m / base).toFixed(2)}×`,
      );
    }
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
