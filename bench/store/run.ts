/**
 * `npm run bench:store`: bulk write and read of 100k records with two sensitive fields on SQLite
 * through the encrypted store — plaintext (the same fields declared plain), field-level and
 * whole-record, with the node:crypto sealer and the WebCrypto one — and, in the same run on the
 * same data, RxDB 16 on its free memory storage with and without its free crypto-js encryption
 * plugin. The Bulwark modes run in several rounds in rotated order and the median of each is
 * reported (the machine is shared). Prints microseconds per record and the ratios the targets
 * are stated in (docs/store.md, "Benchmark").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendVaultStorage,
  EncryptedStore,
  MemoryKeystore,
  type Sealer,
  type StoreRecord,
  Vault,
  webCryptoSealer,
} from '@bulwark/client';
import { nodeSealer, SqliteBackend } from '@bulwark/client/node';
import { createRxDatabase } from 'rxdb';
import { wrappedKeyEncryptionCryptoJsStorage } from 'rxdb/plugins/encryption-crypto-js';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { siteRecord, siteSpec } from './sites.js';

const N = Number(process.env.BENCH_RECORDS ?? 100_000);
const BATCH = 1000;

interface Row {
  name: string;
  writeUs: number;
  readUs: number;
}

async function ours(
  name: string,
  mode: 'plain' | 'field' | 'record',
  sealer: Sealer,
  data: StoreRecord[],
): Promise<Row> {
  const folder = mkdtempSync(join(tmpdir(), 'bulwark-bench-'));
  const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
  const vault = await Vault.open({
    keystore: new MemoryKeystore(),
    storage: new BackendVaultStorage(backend),
  });
  await vault.initialize();
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: [siteSpec(mode)],
    sealer,
    batchSize: BATCH,
  });
  let start = performance.now();
  for (let i = 0; i < data.length; i += BATCH) await store.putMany('sites', data.slice(i, i + BATCH));
  const write = performance.now() - start;
  start = performance.now();
  let count = 0;
  for await (const _ of store.iterate('sites')) count += 1;
  const read = performance.now() - start;
  if (count !== data.length) throw new Error(`read ${count} of ${data.length}`);
  vault.close();
  await store.close();
  rmSync(folder, { recursive: true, force: true });
  return { name, writeUs: (write * 1000) / data.length, readUs: (read * 1000) / data.length };
}

async function rxdb(name: string, encrypted: boolean, data: StoreRecord[]): Promise<Row> {
  const storage = encrypted
    ? wrappedKeyEncryptionCryptoJsStorage({ storage: getRxStorageMemory() })
    : getRxStorageMemory();
  const db = await createRxDatabase({
    name: `bench${encrypted ? 'enc' : 'plain'}${Date.now()}`,
    storage,
    ...(encrypted ? { password: 'bench-password-1234' } : {}),
  });
  await db.addCollections({
    sites: {
      schema: {
        version: 0,
        primaryKey: 'id',
        type: 'object',
        properties: {
          id: { type: 'string', maxLength: 20 },
          name: { type: 'string' },
          status: { type: 'string' },
          visits: { type: 'number' },
          residentPhone: { type: 'string' },
          notes: { type: 'string' },
        },
        required: ['id'],
        ...(encrypted ? { encrypted: ['residentPhone', 'notes'] } : {}),
      },
    },
  });
  const collection = db.collections.sites;
  if (collection === undefined) throw new Error('RxDB collection missing');
  let start = performance.now();
  for (let i = 0; i < data.length; i += BATCH) {
    const result = await collection.bulkInsert(data.slice(i, i + BATCH) as never[]);
    if (result.error.length > 0) throw new Error('RxDB insert failed');
  }
  const write = performance.now() - start;
  start = performance.now();
  const docs = await collection.find().exec();
  let count = 0;
  for (const doc of docs) if (typeof doc.get('notes') === 'string') count += 1;
  const read = performance.now() - start;
  if (count !== data.length) throw new Error(`RxDB read ${count} of ${data.length}`);
  await db.remove();
  return { name, writeUs: (write * 1000) / data.length, readUs: (read * 1000) / data.length };
}

const data = Array.from({ length: N }, (_, i) => siteRecord(i));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
console.log(
  `bench:store — ${N} records, two sensitive fields, batches of ${BATCH}, Node ${process.version}, ` +
    `${ROUNDS} rounds of the Bulwark modes in rotated order (median reported)`,
);
const print = (r: Row) =>
  console.log(
    `  ${r.name.padEnd(44)} write ${r.writeUs.toFixed(2).padStart(8)} µs/rec   read ${r.readUs.toFixed(2).padStart(8)} µs/rec`,
  );
// A short warm-up of every mode, so that JIT and SQLite page cache effects do not fall on one.
await ours('warm-up', 'plain', nodeSealer, data.slice(0, 5000));
await ours('warm-up', 'field', nodeSealer, data.slice(0, 5000));
await ours('warm-up', 'record', nodeSealer, data.slice(0, 5000));
await ours('warm-up', 'field', webCryptoSealer, data.slice(0, 5000));
const modes: [string, 'plain' | 'field' | 'record', Sealer][] = [
  ['bulwark sqlite, plaintext', 'plain', nodeSealer],
  ['bulwark sqlite, field-level (node:crypto)', 'field', nodeSealer],
  ['bulwark sqlite, whole-record (node:crypto)', 'record', nodeSealer],
  ['bulwark sqlite, field-level (WebCrypto)', 'field', webCryptoSealer],
];
// The machine is shared: rounds in rotated order keep a load spike, or the disk still flushing
// the previous mode's files, from falling on the same mode every time.
const measured = new Map<string, Row[]>();
for (let round = 0; round < ROUNDS; round++) {
  console.log(`round ${round + 1}`);
  for (let k = 0; k < modes.length; k++) {
    const [name, mode, sealer] = modes[(k + round) % modes.length] as (typeof modes)[number];
    const row = await ours(name, mode, sealer, data);
    print(row);
    measured.set(name, [...(measured.get(name) ?? []), row]);
  }
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const rows: Row[] = [];
const summary = (name: string): Row => {
  const all = measured.get(name) ?? [];
  const row = { name, writeUs: median(all.map((r) => r.writeUs)), readUs: median(all.map((r) => r.readUs)) };
  rows.push(row);
  return row;
};
console.log('median');
const [plain, field, record, fieldWeb] = modes.map(([name]) => summary(name)) as [Row, Row, Row, Row];
for (const row of rows) print(row);
const rxPlain = await rxdb('rxdb memory, plain', false, data);
print(rxPlain);
const rxEnc = await rxdb('rxdb memory, crypto-js encryption', true, data);
print(rxEnc);
// Per round, so the spread is visible next to the medians.
for (let round = 0; round < ROUNDS; round++) {
  const at = (name: string) => ((measured.get(name) ?? [])[round] as Row).writeUs;
  console.log(
    `  round ${round + 1} write ratios: field ${(at(field.name) / at(plain.name)).toFixed(2)}, ` +
      `whole-record ${(at(record.name) / at(plain.name)).toFixed(2)}, ` +
      `WebCrypto ${(at(fieldWeb.name) / at(plain.name)).toFixed(2)}`,
  );
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);
console.log('ratios');
console.log(
  `  field-level write / plaintext write (target <= 2.5):        ${ratio(field.writeUs, plain.writeUs)}`,
);
console.log(
  `  whole-record write / plaintext write (target <= 2):         ${ratio(record.writeUs, plain.writeUs)}`,
);
console.log(
  `  field-level read / plaintext read:                          ${ratio(field.readUs, plain.readUs)}`,
);
console.log(
  `  WebCrypto field-level write / plaintext write (target <= 6): ${ratio(fieldWeb.writeUs, plain.writeUs)}`,
);
console.log(
  `  rxdb encrypted write / bulwark field-level write (>= 10):   ${ratio(rxEnc.writeUs, field.writeUs)}`,
);
console.log(
  `  rxdb encrypted write / rxdb plain write:                    ${ratio(rxEnc.writeUs, rxPlain.writeUs)}`,
);
console.log(
  `  rxdb encrypted read / bulwark field-level read:             ${ratio(rxEnc.readUs, field.readUs)}`,
);
console.log(
  `  bulwark encryption cost per record written (µs):            ${(field.writeUs - plain.writeUs).toFixed(2)}`,
);
console.log(
  `  rxdb encryption cost per record written (µs):               ${(rxEnc.writeUs - rxPlain.writeUs).toFixed(2)}`,
);
