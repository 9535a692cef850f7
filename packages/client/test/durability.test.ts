/**
 * Durability: a writer process is killed with SIGKILL at a random moment during writes, 40 times
 * in a row on the same database. After each kill the store is reopened: SQLite's integrity check
 * passes, every write the writer acknowledged is there and decrypts, and every batch is complete
 * or absent (a batch is one transaction: no torn batch, no torn record).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendVaultStorage, EncryptedStore, type StoreRecord, Vault } from '../src/index.js';
import { FileKeystore, nodeSealer, SqliteBackend } from '../src/node/index.js';
import { canary } from './fakes/canary.js';
import { sites } from './fakes/store-world.js';

const RUNS = 40;

async function runAndKill(
  folder: string,
  canaryFile: string,
  run: number,
  killAfterAcks: number,
): Promise<string[]> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'fixtures/canary-writer.mjs'), folder, canaryFile, '-', String(run)],
    {
      env: { ...process.env, BULWARK_COLLECTIONS: JSON.stringify([sites]) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const acked: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    let acks = 0;
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('ack ')) continue;
        acked.push(...line.slice(4).split(','));
        acks += 1;
        if (acks === killAfterAcks) {
          child.kill('SIGKILL');
          resolve();
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited (${code}) before the kill: ${stderr}`));
    });
  });
  await new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on('exit', resolve),
  );
  return acked;
}

describe('durability under kill -9', () => {
  it(`keeps every acknowledged write and never tears a batch, over ${RUNS} kills`, async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-durability-'));
    const canaries = Array.from({ length: 20 }, () => canary());
    const canaryFile = join(folder, 'canaries.json');
    await writeFile(canaryFile, JSON.stringify(canaries));
    const allAcked: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      allAcked.push(...(await runAndKill(folder, canaryFile, run, 1 + Math.floor(Math.random() * 12))));

      const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
      expect(backend.integrityCheck()).toBe('ok');
      const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
      const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
      await vault.unlock();
      const store = await EncryptedStore.open({ backend, vault, collections: [sites], sealer: nodeSealer });
      const present = new Map<string, StoreRecord>();
      for await (const record of store.iterate('sites')) present.set(record.id, record);
      for (const id of allAcked) expect(present.has(id), `acknowledged ${id} lost in run ${run}`).toBe(true);
      // Every batch `rN-kI-j` has visits = its size: all of its records or none are present.
      const batches = new Map<string, StoreRecord[]>();
      for (const record of present.values()) {
        const batch = record.id.slice(0, record.id.lastIndexOf('-'));
        batches.set(batch, [...(batches.get(batch) ?? []), record]);
      }
      for (const [batch, records] of batches) {
        expect(records.length, `batch ${batch} torn`).toBe(records[0]?.visits);
        for (const r of records) expect(canaries).toContain(r.residentPhone);
      }
      vault.close();
      await store.close();
    }
    expect(allAcked.length).toBeGreaterThan(RUNS);
  }, 120_000);
});
