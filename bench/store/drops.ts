/**
 * `npx vite-node bench/store/drops.ts`: what leaving no trace of dropped records costs the SQLite
 * store. On a database of N records (field-level, node:crypto, `synchronous = FULL`), in the same
 * run and in rotated order: a pull-sized batch of upserts with its meta entries, and a batch of
 * deletes, each written three ways on identical copies of the database — as before (the batch
 * alone), with the WAL truncated after it (what every batch that deletes or changes meta now
 * does), and with the file rebuilt after it as well (what the store does when records leave the
 * device). Prints milliseconds per batch (median of the rounds) and the ratios to the batch alone
 * (docs/store.md, "What a drop leaves").
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendVaultStorage, EncryptedStore, MemoryKeystore, Vault, type WriteOp } from '@bulwark/client';
import { nodeSealer, SqliteBackend } from '@bulwark/client/node';
import Database from 'better-sqlite3';
import { siteRecord, siteSpec } from './sites.js';

const N = Number(process.env.BENCH_RECORDS ?? 30_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DROP = 50;
const PAGE = 200;

/** The database the rounds copy, and the ops of one pull page and one drop, sealed once. */
async function prepare(folder: string) {
  const path = join(folder, 'seed.db');
  const backend = await SqliteBackend.open({ path });
  const vault = await Vault.open({
    keystore: new MemoryKeystore(),
    storage: new BackendVaultStorage(backend),
  });
  await vault.initialize();
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: [siteSpec('field')],
    sealer: nodeSealer,
  });
  for (let i = 0; i < N; i += 1000) {
    await store.putMany(
      'sites',
      Array.from({ length: Math.min(1000, N - i) }, (_, k) => siteRecord(i + k)),
    );
  }
  const page: WriteOp[] = [
    ...(await store.encodePuts(
      'sites',
      Array.from({ length: PAGE }, (_, k) => siteRecord(N + k)),
    )),
    ...Array.from({ length: PAGE }, (_, k) => ({
      kind: 'meta' as const,
      key: `sync.v:sites:rec-${N + k}`,
      value: new Uint8Array([49]),
    })),
  ];
  const step = Math.floor(N / DROP);
  const drop: WriteOp[] = Array.from({ length: DROP }, (_, k) => ({
    kind: 'delete' as const,
    collection: 'sites',
    id: siteRecord(k * step).id,
  }));
  await backend.close();
  return { path, page, drop };
}

type Mode = 'batch alone' | 'WAL truncated' | 'WAL truncated + rebuilt';
const MODES: Mode[] = ['batch alone', 'WAL truncated', 'WAL truncated + rebuilt'];

/** One batch on a fresh copy of the seed, the way `mode` says; milliseconds. */
async function once(seed: string, folder: string, ops: readonly WriteOp[], mode: Mode): Promise<number> {
  const path = join(folder, `round-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(seed, path);
  const backend = await SqliteBackend.open({ path });
  let ms: number;
  if (mode === 'batch alone') {
    // The write as it was before: the same statements in one transaction, nothing after.
    await backend.close();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    const put = db.prepare('INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?)');
    const del = db.prepare('DELETE FROM records WHERE collection = ? AND id = ?');
    const delTerms = db.prepare('DELETE FROM terms WHERE collection = ? AND id = ?');
    const meta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    const start = performance.now();
    db.transaction(() => {
      for (const op of ops) {
        if (op.kind === 'put') {
          const r = op.record;
          put.run(r.collection, r.id, r.storedAt, r.keyId, r.plain, r.sealed, null);
          delTerms.run(r.collection, r.id);
        } else if (op.kind === 'delete') {
          del.run(op.collection, op.id);
          delTerms.run(op.collection, op.id);
        } else {
          meta.run(op.key, op.value);
        }
      }
    })();
    ms = performance.now() - start;
    db.close();
  } else {
    const start = performance.now();
    await backend.write(ops);
    if (mode === 'WAL truncated + rebuilt') await backend.scrub();
    ms = performance.now() - start;
    await backend.close();
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const folder = mkdtempSync(join(tmpdir(), 'bulwark-bench-drops-'));
try {
  const { path, page, drop } = await prepare(folder);
  for (const [label, ops] of [
    [`pull page (${PAGE} upserts + ${PAGE} meta entries)`, page],
    [`drop of ${DROP} records`, drop],
  ] as const) {
    const times = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
    for (const mode of MODES) await once(path, folder, ops, mode);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < MODES.length; k++) {
        const mode = MODES[(round + k) % MODES.length] as Mode;
        times.get(mode)?.push(await once(path, folder, ops, mode));
      }
    }
    const base = median(times.get('batch alone') ?? []);
    console.log(`\n${label}, on ${N} records:`);
    for (const mode of MODES) {
      const m = median(times.get(mode) ?? []);
      console.log(`  ${mode.padEnd(24)} ${m.toFixed(1).padStart(8)} ms  ${(m / base).toFixed(2)}×`);
    }
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
