/**
 * Durability: a writer process is killed with SIGKILL at a random moment during writes, 40 times
 * in a row on the same database. After each kill the store is reopened: SQLite's integrity check
 * passes, every write the writer acknowledged is there and decrypts, and every batch is complete
 * or absent (a batch is one transaction: no torn batch, no torn record).
 *
 * Rotation and passcode change: an offline app with queued edits and encrypted files rotates and
 * retires data keys and changes its passcode in a loop; it is killed inside each step in turn
 * (queued edit, bulk write, file write, rotation, re-encryption, retirement, passcode change),
 * again and again. After each kill the old or the new passcode opens the vault, every
 * acknowledged record and file is there and decrypts, every queued edit is there and decrypts
 * (one per locally stored edit: they commit together), and no temporary file is left.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackendVaultStorage,
  DeviceKey,
  EncryptedFiles,
  EncryptedStore,
  MemorySessionStore,
  type StoreRecord,
  SyncEngine,
  Transport,
  Vault,
  WrongPasscodeError,
} from '../src/index.js';
import { DirectoryFileStorage, FileKeystore, nodeSealer, SqliteBackend } from '../src/node/index.js';
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

const STEPS = ['records', 'bulk', 'file', 'rotate', 'reencrypt', 'retire', 'passcode'] as const;
const ROTATION_RUNS = 4 * STEPS.length;

/** The record the rotation worker derives from an id (fixtures/rotation-worker.mjs). */
function recordFor(id: string): StoreRecord {
  const digits = createHash('sha256').update(id).digest('hex').replace(/[a-f]/g, '').padEnd(8, '7');
  return {
    id,
    name: `n-${id}`,
    status: 'open',
    visits: id.length,
    residentPhone: `+44 20 ${digits.slice(0, 8)}`,
    notes: `note ${id}`,
  };
}

interface Progress {
  readonly records: string[];
  readonly files: Map<string, string>;
  /** The passcode the worker was changing to when it was killed, if it was. */
  announced: string | undefined;
  acknowledged: string | undefined;
  readonly steps: Set<string>;
}

async function rotateAndKill(
  folder: string,
  run: number,
  passcode: string,
  target: (typeof STEPS)[number],
  delayMs: number,
): Promise<Progress> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'fixtures/rotation-worker.mjs'), folder, String(run), passcode],
    {
      env: { ...process.env, BULWARK_COLLECTIONS: JSON.stringify([sites]) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const progress: Progress = {
    records: [],
    files: new Map(),
    announced: undefined,
    acknowledged: undefined,
    steps: new Set(),
  };
  let stderr = '';
  let buffer = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [word, kind, id, extra] = line.split(' ');
        if (word === 'begin') {
          progress.steps.add(kind as string);
          if (kind === 'passcode') progress.announced = id;
          if (kind === target && !armed) {
            armed = true;
            setTimeout(() => child.kill('SIGKILL'), delayMs);
          }
        } else if (word === 'ack' && kind === 'record') progress.records.push(id as string);
        else if (word === 'ack' && kind === 'bulk') progress.records.push(...(id as string).split(','));
        else if (word === 'ack' && kind === 'file') progress.files.set(id as string, extra as string);
        else if (word === 'ack' && kind === 'passcode') {
          progress.acknowledged = id;
          progress.announced = undefined;
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`worker exited (${code}) before the kill: ${stderr}`));
    });
  });
  await new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on('exit', resolve),
  );
  return progress;
}

/** A real transport on a network that is down: the outbox only fills. */
async function offlineTransport(): Promise<Transport> {
  return new Transport({
    baseUrl: 'http://127.0.0.1:9',
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
    fetch: async () => {
      throw new TypeError('fetch failed');
    },
  });
}

async function sha256(stream: ReadableStream<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) hash.update(part);
  return hash.digest('hex');
}

describe('durability of data key rotation and passcode change under kill -9', () => {
  it(`keeps the passcode, every record, file and queued edit, killed inside each step, ${ROTATION_RUNS} kills`, async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-rotation-'));
    let passcode = 'pc-initial';
    const records: string[] = [];
    const files = new Map<string, string>();
    const killedIn = new Set<string>();
    for (let run = 0; run < ROTATION_RUNS; run++) {
      const target = STEPS[run % STEPS.length] as (typeof STEPS)[number];
      // Short steps get short delays, so that the kill lands inside them rather than after.
      const window = ['records', 'bulk', 'file', 'rotate'].includes(target) ? 6 : 25;
      const progress = await rotateAndKill(folder, run, passcode, target, Math.floor(Math.random() * window));
      records.push(...progress.records);
      for (const [id, hash] of progress.files) files.set(id, hash);
      if (progress.acknowledged !== undefined) passcode = progress.acknowledged;
      killedIn.add([...progress.steps].at(-1) as string);

      const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
      expect(backend.integrityCheck()).toBe('ok');
      const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
      const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
      try {
        await vault.unlock(passcode);
      } catch (err) {
        // Killed after the switch but before the acknowledgement: the new passcode opens.
        expect(err, `run ${run}: neither passcode opens`).toBeInstanceOf(WrongPasscodeError);
        expect(progress.announced, `run ${run}: the acknowledged passcode no longer opens`).toBeDefined();
        await vault.unlock(progress.announced as string);
        passcode = progress.announced as string;
      }
      const store = await EncryptedStore.open({ backend, vault, collections: [sites], sealer: nodeSealer });
      for (const id of records) {
        expect(await store.get('sites', id), `record ${id} after run ${run}`).toEqual(recordFor(id));
      }
      const storage = await DirectoryFileStorage.open(join(folder, 'files'));
      expect((await readdir(join(folder, 'files'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      const encryptedFiles = new EncryptedFiles({ storage, vault, sealer: nodeSealer });
      for (const [id, hash] of files) {
        const stream = await encryptedFiles.get(id);
        expect(stream, `file ${id} after run ${run}`).toBeDefined();
        expect(await sha256(stream as ReadableStream<Uint8Array>), `file ${id} after run ${run}`).toBe(hash);
      }
      const sync = await SyncEngine.open({ store, vault, transport: await offlineTransport() });
      // Every queued edit decrypts (pending() reads them all), one per edit stored locally.
      const queuedLocally = (await store.ids('sites')).filter((id) => id.startsWith('r')).length;
      expect(await sync.pending(), `outbox after run ${run}`).toBe(queuedLocally);
      expect(queuedLocally).toBeGreaterThanOrEqual(records.filter((id) => id.startsWith('r')).length);
      vault.close();
      await store.close();
    }
    // Each step was the one running when a kill landed at least once.
    expect([...killedIn].sort()).toEqual([...STEPS].sort());
  }, 300_000);
});
