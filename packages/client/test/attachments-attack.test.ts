/**
 * Attacks on the files attached to records (`files.attach`), with real SQLite, a folder of files
 * and a scripted server: no server answer, interrupted pass, restart or order of app calls may
 * delete the files of a record still on the device (or about to be saved), and records that left
 * take their files. Also the attachment names and ids, and what the orphan sweep leaves alone.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BackendVaultStorage,
  DeviceKey,
  EncryptedFiles,
  EncryptedStore,
  MemoryKeystore,
  MemorySessionStore,
  type StoreBackend,
  SyncEngine,
  Transport,
  Vault,
} from '../src/index.js';
import { DirectoryFileStorage, FileKeystore, nodeSealer, SqliteBackend } from '../src/node/index.js';
import { canary, scan } from './fakes/canary.js';
import { ManualClock } from './fakes/clock.js';
import { FakeServer } from './fakes/fake-server.js';
import { FakeSyncData } from './fakes/fake-sync-server.js';
import { archive, sites } from './fakes/store-world.js';

const DEVICE_ID = '6b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
let server: FakeServer;
let data: FakeSyncData;
/** `one-pull-page`: the next pull request goes through, then the network is gone (`offline`). */
let mode: 'online' | 'offline' | 'one-pull-page';
/** Replaces the fake server's answer to a pull, when set. */
let pullOverride: ((body: unknown) => unknown) | undefined;
/** Replaces the fake server's answer to a push, when set. */
let pushOverride: ((body: unknown) => unknown) | undefined;

beforeEach(async () => {
  data = new FakeSyncData();
  const handlers = data.handlers();
  server = new FakeServer({
    handlers: {
      ...handlers,
      'POST /sync/pull': (body: unknown) => (pullOverride ?? handlers['POST /sync/pull'])(body),
      'POST /sync/push': (body: unknown) => (pushOverride ?? handlers['POST /sync/push'])(body),
    },
  });
  await server.start();
  mode = 'online';
  pullOverride = undefined;
  pushOverride = undefined;
});
afterEach(async () => {
  await server.stop();
});

/** A device: SQLite store, a folder of files, a sync engine. `reopen` is the app restarted. */
async function device(restart?: { folder: string; keystore: MemoryKeystore }) {
  const dir = restart?.folder ?? (await mkdtemp(join(tmpdir(), 'bulwark-attach-')));
  const backend = await SqliteBackend.open({ path: join(dir, 'store.db') });
  const keystore = restart?.keystore ?? new MemoryKeystore();
  const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
  if (restart === undefined) await vault.initialize();
  else await vault.unlock();
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: [sites, archive],
    sealer: nodeSealer,
  });
  const files = new EncryptedFiles({
    storage: await DirectoryFileStorage.open(join(dir, 'files')),
    vault,
    store,
  });
  const flakyFetch: typeof fetch = async (input, init) => {
    if (mode === 'offline') throw new TypeError('fetch failed');
    if (mode === 'one-pull-page' && String(input).endsWith('/sync/pull')) mode = 'offline';
    return fetch(input, init);
  };
  const transport = new Transport({
    baseUrl: server.url,
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
    fetch: flakyFetch,
  });
  await transport.login({ username: 'ada', password: 'correct horse battery', deviceId: DEVICE_ID });
  const clock = new ManualClock();
  const sync = await SyncEngine.open({ store, vault, transport, clock });
  return { folder: dir, keystore, backend, store, files, sync, clock };
}

const photo = (text: string) => new Blob([text]).stream();
const text = async (stream: ReadableStream<Uint8Array> | undefined) =>
  stream === undefined ? undefined : new Response(stream).text();

/** Takes a record out of what the server still sends this user (a reset can only say so). */
function unshare(id: string): void {
  data.rows.delete(`sites/${id}`);
  data.log.splice(
    data.log.findIndex((e) => e.id === id),
    1,
  );
}

describe('a reset pass cut off, then sync() (which pushes first)', () => {
  it('keeps the files of a record with a queued edit that the rest of the pass sends back, and deletes those of one it does not', async () => {
    const { files, sync, store } = await device();
    for (let i = 1; i <= 5; i++) data.serverWrite('sites', `s${i}`, { name: `Site ${i}` });
    await sync.pull();
    for (let i = 1; i <= 5; i++) await files.attach('sites', `s${i}`, 'p1', photo(`photo ${i}`));
    // Offline edits of s4 (still the user's) and s5 (taken out of what the user may hold).
    mode = 'offline';
    await sync.put('sites', { id: 's4', name: 'Site 4, gate code changed' });
    await sync.put('sites', { id: 's5', name: 'Site 5, edited' });
    unshare('s5');
    data.resetNext = true;
    mode = 'one-pull-page';
    await expect(sync.pull()).rejects.toMatchObject({ code: 'network_error' });
    expect(await store.dropsHeld()).toBe(true);
    // The network comes back: sync() pushes the queued edits before it pulls the rest of the pass.
    // Both records were marked gone by the reset page, so the push drops both local copies.
    mode = 'online';
    const { push, pull } = await sync.sync();
    expect(push).toMatchObject({ applied: 1 });
    expect(pull.reset).toBe(false);
    expect(await store.dropsHeld()).toBe(false);
    expect(await store.ids('sites')).toEqual(['s1', 's2', 's3', 's4']);
    // s4 came back with the pass: its photo, which existed only on this device, is still there.
    expect(await text(await files.getAttached('sites', 's4', 'p1'))).toBe('photo 4');
    for (const id of ['s1', 's2', 's3']) expect(await files.attachments('sites', id)).toEqual(['p1']);
    // s5 did not: its photo went at the end of the pass.
    expect(await files.attachments('sites', 's5')).toEqual([]);
  });

  it('keeps them when the device is restarted between the cut and the push, and the restart sweep takes nothing', async () => {
    const first = await device();
    for (let i = 1; i <= 4; i++) data.serverWrite('sites', `s${i}`, { name: `Site ${i}` });
    await first.sync.pull();
    for (let i = 1; i <= 4; i++) await first.files.attach('sites', `s${i}`, 'p1', photo(`photo ${i}`));
    mode = 'offline';
    await first.sync.put('sites', { id: 's4', name: 'edited offline' });
    data.resetNext = true;
    mode = 'one-pull-page';
    await expect(first.sync.pull()).rejects.toMatchObject({ code: 'network_error' });
    await first.backend.close();

    mode = 'online';
    const again = await device(first);
    expect(await again.files.deleteOrphanAttachments()).toBe(0);
    await again.sync.sync();
    expect(await again.store.ids('sites')).toEqual(['s1', 's2', 's3', 's4']);
    for (let i = 1; i <= 4; i++) {
      expect(await again.files.attachments('sites', `s${i}`)).toEqual(['p1']);
    }
  });
});

describe('a push that drops a record', () => {
  it('holds its files until the next pull ends: kept if the pull sends the record back, deleted if not', async () => {
    const { files, sync, store } = await device();
    for (const id of ['s1', 's2']) data.serverWrite('sites', id, { name: `Site ${id}` });
    await sync.pull();
    for (const id of ['s1', 's2']) await files.attach('sites', id, 'p1', photo(`photo ${id}`));
    await sync.put('sites', { id: 's1', name: 'edited' });
    await sync.put('sites', { id: 's2', name: 'edited' });
    // A buggy server answers not_found for both, though s1 is still the user's (and changed since).
    pushOverride = (body) => ({
      results: (body as { mutations: { mutationId: string }[] }).mutations.map((m) => ({
        mutationId: m.mutationId,
        status: 'rejected',
        code: 'not_found',
      })),
    });
    expect((await sync.push()).rejected.map((r) => r.code)).toEqual(['not_found', 'not_found']);
    expect(await store.ids('sites')).toEqual([]);
    expect(await store.dropsHeld()).toBe(true);
    expect(await files.attachments('sites', 's1')).toEqual(['p1']);
    data.serverWrite('sites', 's1', { name: 'Site s1, changed by the office' });
    await sync.pull();
    expect(await store.dropsHeld()).toBe(false);
    expect(await store.ids('sites')).toEqual(['s1']);
    expect(await text(await files.getAttached('sites', 's1', 'p1'))).toBe('photo s1');
    expect(await files.attachments('sites', 's2')).toEqual([]);
  });
});

describe('an attach racing a drop of its record', () => {
  it('leaves no file once both are done, unless the drop is held (then the pass decides)', async () => {
    const { files, store } = await device();
    for (const id of ['s1', 's2']) await store.put('sites', { id, name: id });
    /** A photo whose bytes arrive only when `finish` is called, as from a slow camera roll. */
    const slow = () => {
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await done;
          controller.enqueue(new TextEncoder().encode('late photo'));
          controller.close();
        },
      });
      return { stream, finish };
    };
    const one = slow();
    const attaching = files.attach('sites', 's1', 'p1', one.stream);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.delete('sites', 's1');
    one.finish();
    await attaching;
    expect(await files.attachments('sites', 's1')).toEqual([]);
    // Under a held drop (a reset page), the file stays for the end of the pass to judge.
    const two = slow();
    const attaching2 = files.attach('sites', 's2', 'p1', two.stream);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.commit([{ kind: 'delete', collection: 'sites', id: 's2' }], { holdDrops: true });
    two.finish();
    await attaching2;
    expect(await files.attachments('sites', 's2')).toEqual(['p1']);
    await store.commit(await store.encodePuts('sites', [{ id: 's2', name: 's2' }]), { releaseDrops: true });
    expect(await text(await files.getAttached('sites', 's2', 'p1'))).toBe('late photo');
  });
});

describe('a file attached before its record is saved', () => {
  it('survives a reset pass that ends meanwhile, and stays once the record is saved', async () => {
    const { files, sync, store } = await device();
    data.serverWrite('sites', 's1', { name: 'Site 1' });
    data.serverWrite('sites', 's2', { name: 'Site 2' });
    await sync.pull();
    await files.attach('sites', 's1', 'p1', photo('photo 1'));
    await files.attach('sites', 's2', 'p1', photo('photo 2'));
    // The inspector takes the photo of a new inspection before saving its form.
    await files.attach('sites', 'draft', 'p1', photo('photo of the draft'));
    unshare('s2');
    data.resetNext = true;
    expect((await sync.pull()).reset).toBe(true);
    expect(await files.attachments('sites', 's2')).toEqual([]);
    expect(await files.attachments('sites', 's1')).toEqual(['p1']);
    expect(await text(await files.getAttached('sites', 'draft', 'p1'))).toBe('photo of the draft');
    await sync.put('sites', { id: 'draft', name: 'New site' });
    // Once saved, it is a record like any other: a later reset that drops it takes its file.
    expect(await files.deleteOrphanAttachments()).toBe(0);
    await sync.push();
    unshare('draft');
    data.resetNext = true;
    await sync.pull();
    expect(await store.ids('sites')).toEqual(['s1']);
    expect(await files.attachments('sites', 'draft')).toEqual([]);
  });

  it('goes at the next start when the record was never saved', async () => {
    const first = await device();
    await first.files.attach('sites', 'never-saved', 'p1', photo('abandoned'));
    expect(await first.files.deleteOrphanAttachments()).toBe(0);
    await first.backend.close();
    const again = await device(first);
    expect(await again.files.deleteOrphanAttachments()).toBe(1);
    expect(await again.files.attachments('sites', 'never-saved')).toEqual([]);
  });
});

describe('attachment names and ids', () => {
  it('refuses a collection the store does not keep on the device (its files would be swept)', async () => {
    const { files } = await device();
    await expect(files.attach('archive', 'a1', 'p1', photo('x'))).rejects.toMatchObject({
      code: 'unknown_collection',
    });
    await expect(files.attach('nowhere', 'a1', 'p1', photo('x'))).rejects.toMatchObject({
      code: 'unknown_collection',
    });
  });

  it('refuses names that could leave the folder or collide, and keeps every file inside it', async () => {
    const { folder, files, store } = await device();
    await store.put('sites', { id: 's1', name: 'Site' });
    for (const name of ['../x', 'a/b', 'a\\b', '', 'é', 'x'.repeat(36), 'a\u0000b', ' ']) {
      await expect(files.attach('sites', 's1', name, photo('x'))).rejects.toMatchObject({
        code: 'invalid_argument',
      });
    }
    // Names made of dots only are fine: the id is prefixed, so it never names `.` or `..`.
    await files.attach('sites', 's1', '..', photo('dots'));
    await files.attach('sites', 's1', 'x'.repeat(35), photo('long'));
    // Record ids are hashed: dots, slashes and unicode (of a record not saved yet) name no path.
    for (const id of ['..', '.', '~:~', 'i'.repeat(128), '../../etc/passwd', 'é/ü']) {
      if (!id.includes('/')) await store.put('sites', { id, name: 'odd id' });
      await files.attach('sites', id, 'p1', photo(`file of ${id}`));
      expect(await text(await files.getAttached('sites', id, 'p1'))).toBe(`file of ${id}`);
    }
    // On disk the names are spelled for case-insensitive file systems (upper case as `^` + lower).
    expect(
      (await readdir(join(folder, 'files'))).every((n) =>
        /^bwr\.(?:[a-z0-9_-]|\^[a-z]){24}\.(?:[a-z0-9._-]|\^[a-z-])+\.bwf$/.test(n),
      ),
    ).toBe(true);
    expect(await files.attachments('sites', 's1')).toEqual(['..', 'x'.repeat(35)]);
    // Ids that differ only in case or by a suffix are other records.
    await store.put('sites', { id: 'S1', name: 'other' });
    await files.attach('sites', 'S1', 'p1', photo('upper'));
    await store.delete('sites', 's1');
    expect(await files.attachments('sites', 's1')).toEqual([]);
    expect(await text(await files.getAttached('sites', 'S1', 'p1'))).toBe('upper');
  });

  it('the sweeps leave files stored with put under the app’s own ids alone', async () => {
    const { files, store, sync } = await device();
    for (const id of ['report-2024', 'bwr-x', 'bwr.short.x', 'BWR.AAAAAAAAAAAAAAAAAAAAAAAA.x', 'bwr.']) {
      await files.put(id, photo(id));
    }
    data.serverWrite('sites', 's1', { name: 'Site 1' });
    await sync.pull();
    await store.delete('sites', 's1');
    data.resetNext = true;
    await sync.pull();
    expect(await files.deleteOrphanAttachments()).toBe(0);
    expect(await text(await files.get('bwr-x'))).toBe('bwr-x');
    expect(await text(await files.get('BWR.AAAAAAAAAAAAAAAAAAAAAAAA.x'))).toBe(
      'BWR.AAAAAAAAAAAAAAAAAAAAAAAA.x',
    );
  });
});

describe('deletes one at a time', () => {
  /** A SQLite store whose backend records each write of deletes and each rebuild, in order. */
  async function recorded() {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-attach-'));
    const sqlite = await SqliteBackend.open({ path: join(folder, 'store.db') });
    const events: string[] = [];
    const backend = new Proxy(sqlite, {
      get: (target, key) => {
        if (key === 'write') {
          return async (ops: Parameters<StoreBackend['write']>[0]) => {
            await target.write(ops);
            for (const op of ops) if (op.kind === 'delete') events.push(`write ${op.id}`);
          };
        }
        if (key === 'scrub') {
          return async () => {
            events.push('scrub start');
            await target.scrub();
            events.push('scrub end');
          };
        }
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const vault = await Vault.open({
      keystore: new MemoryKeystore(),
      storage: new BackendVaultStorage(sqlite),
    });
    await vault.initialize();
    const store = await EncryptedStore.open({ backend, vault, collections: [sites], sealer: nodeSealer });
    return { folder, store, events };
  }

  it('each resolves only once a rebuild that began after its write has ended; concurrent ones share rebuilds', async () => {
    const { folder, store, events } = await recorded();
    const doomed = Array.from({ length: 20 }, (_, i) => ({ id: `d${i}`, name: canary() }));
    await store.putMany('sites', [
      ...doomed,
      ...Array.from({ length: 200 }, (_, i) => ({ id: `k${i}`, name: `kept ${i}` })),
    ]);
    expect(
      (
        await scan(
          folder,
          doomed.map((r) => r.name),
        )
      ).length,
    ).toBeGreaterThan(0);
    // A burst of single deletes the app does not await one by one, each checked when it resolves.
    await Promise.all(
      doomed.map(async (r) => {
        await store.delete('sites', r.id);
        const written = events.indexOf(`write ${r.id}`);
        const began = events.indexOf('scrub start', written);
        expect(written).toBeGreaterThanOrEqual(0);
        expect(began).toBeGreaterThan(written);
        expect(events.indexOf('scrub end', began)).toBeGreaterThan(began);
      }),
    );
    expect(events.filter((e) => e === 'scrub start').length).toBeLessThanOrEqual(2);
    expect(
      await scan(
        folder,
        doomed.map((r) => r.name),
      ),
    ).toEqual([]);
    // Awaited one by one, each still gets its own rebuild before it resolves.
    events.splice(0);
    for (const id of ['k1', 'k2', 'k3']) await store.delete('sites', id);
    expect(events).toEqual([
      'write k1',
      'scrub start',
      'scrub end',
      'write k2',
      'scrub start',
      'scrub end',
      'write k3',
      'scrub start',
      'scrub end',
    ]);
  });
});

interface Pull {
  readonly pages: readonly { reset: boolean; upserts: readonly string[]; removals: readonly string[] }[];
  readonly cut: boolean;
  readonly refused?: boolean;
}

describe('a hostile or broken server', () => {
  const IDS = ['s0', 's1', 's2', 's3', 's4', 's5'];
  /** One page as the script gives it: upserts of records the user still holds, removals of others. */
  const page = fc.record({
    reset: fc.boolean(),
    upserts: fc.subarray(IDS),
    removals: fc.subarray(IDS),
  });
  /** A pull: its pages in order, then either the end of the pass or a cut (the network, a 500). */
  /** `refused`: the server first refuses the stored checkpoint, so the pull starts over (a reset). */
  const pull = fc.record({
    refused: fc.boolean(),
    pages: fc.array(page, { minLength: 1, maxLength: 3 }),
    cut: fc.boolean(),
  });
  const script = fc.record({
    held: fc.subarray(IDS),
    pulls: fc.array(
      fc.record({ edits: fc.subarray(IDS), pushCut: fc.boolean(), pull, restartAfter: fc.boolean() }),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  });

  it('whatever pages it sends (resets anywhere, replays, refused checkpoints, cuts, restarts, pushes between), a record keeps its files until a finished pass or a removal takes it, and then no file of it is left', async () => {
    await fc.assert(
      fc.asyncProperty(script, async ({ held, pulls }) => {
        let queue: unknown[] = [];
        let version = 10;
        pullOverride = () => {
          const next = queue.shift();
          if (next === undefined) throw new Error('cut');
          if (next === 'refused')
            throw Object.assign(new Error('refused'), { status: 400, code: 'invalid_checkpoint' });
          return next;
        };
        // Pushes: an edit of a record the user still holds is applied, any other is not_found.
        let pushCut = false;
        pushOverride = (body) => {
          if (pushCut) throw new Error('cut');
          return {
            results: (body as { mutations: { mutationId: string; id: string }[] }).mutations.map((m) =>
              held.includes(m.id)
                ? { mutationId: m.mutationId, status: 'applied', version: ++version }
                : { mutationId: m.mutationId, status: 'rejected', code: 'not_found' },
            ),
          };
        };
        const pages = (p: Pull) =>
          p.pages.map((pg, i) => ({
            changes: [
              ...pg.upserts
                .filter((id) => held.includes(id))
                .map((id) => ({
                  collection: 'sites',
                  id,
                  version: ++version,
                  record: { name: `Site ${id}` },
                })),
              ...pg.removals
                .filter((id) => !held.includes(id))
                .map((id) => ({ collection: 'sites', id, removed: true })),
            ],
            checkpoint: String(++version),
            hasMore: p.cut || i < p.pages.length - 1,
            ...(pg.reset ? { reset: true } : {}),
          }));
        let d = await device();
        queue = [
          {
            changes: IDS.map((id) => ({
              collection: 'sites',
              id,
              version: 1,
              record: { name: `Site ${id}` },
            })),
            checkpoint: '1',
            hasMore: false,
          },
        ];
        await d.sync.pull();
        for (const id of IDS) await d.files.attach('sites', id, 'p1', photo(`photo ${id}`));
        /** Records a finished pass (or a removal) took: the server's word, their photos go. */
        const gone = new Set<string>();
        const check = async () => {
          const stored = await d.store.ids('sites');
          for (const id of stored) {
            if (gone.has(id)) continue;
            expect(await text(await d.files.getAttached('sites', id, 'p1'))).toBe(`photo ${id}`);
          }
          if (await d.store.dropsHeld()) return;
          // No pass unfinished: whatever is not on the device left it, and took its files.
          for (const id of IDS.filter((x) => !stored.includes(x))) {
            expect(await d.files.attachments('sites', id)).toEqual([]);
            gone.add(id);
          }
        };
        for (const { edits, pushCut: cutPush, pull: p, restartAfter } of pulls) {
          // Offline edits of records on the device, then sync(): the push comes before the pull.
          mode = 'offline';
          const stored = await d.store.ids('sites');
          for (const id of edits.filter((x) => stored.includes(x))) {
            await d.sync.put('sites', { id, name: `Site ${id}, edited` });
          }
          mode = 'online';
          // The push may fail while the pull goes through: the edits stay queued over the pull.
          pushCut = cutPush;
          d.clock.advance(3600_000);
          queue = [...(p.refused === true ? ['refused'] : []), ...pages(p)];
          if (p.cut) await expect(d.sync.sync()).rejects.toBeDefined();
          else await d.sync.sync();
          await check();
          if (restartAfter) {
            await d.backend.close();
            d = await device(d);
            await d.files.deleteOrphanAttachments();
            await check();
          }
        }
        // The pass that finally ends: a reset that sends back what the user still holds.
        pushCut = false;
        d.clock.advance(30 * 24 * 3600_000);
        queue = pages({ pages: [{ reset: true, upserts: held, removals: [] }], cut: false });
        await d.sync.sync();
        expect(await d.sync.pending()).toBe(0);
        expect(await d.store.dropsHeld()).toBe(false);
        expect(await d.store.ids('sites')).toEqual([...held].sort());
        await check();
        expect(await d.files.deleteOrphanAttachments()).toBe(0);
        await d.backend.close();
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});

describe('killed with SIGKILL', () => {
  /** Runs the app (fixtures/attach-dropper.mjs) and kills it after `acks` records saved. */
  async function runAndKill(folder: string, run: number, acks: number): Promise<void> {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'fixtures/attach-dropper.mjs'), folder, String(run)],
      {
        env: { ...process.env, BULWARK_COLLECTIONS: JSON.stringify([sites]) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      child.stdout.on('data', (d: Buffer) => {
        seen += d
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('ack ')).length;
        if (seen >= acks) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code, signal) => {
        if (signal === 'SIGKILL') resolve();
        else reject(new Error(`the app exited (${code}) before the kill: ${stderr}`));
      });
    });
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on('exit', resolve),
    );
  }

  it('at any moment of attaching, deleting, or a held pass: every record left has its files, and the next start leaves no file without its record', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-attach-kill-'));
    for (let run = 0; run < 15; run++) {
      await runAndKill(folder, run, 1 + Math.floor(Math.random() * 14));
      const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
      expect(backend.integrityCheck()).toBe('ok');
      const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
      const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
      await vault.unlock();
      const store = await EncryptedStore.open({ backend, vault, collections: [sites], sealer: nodeSealer });
      const files = new EncryptedFiles({
        storage: await DirectoryFileStorage.open(join(folder, 'files')),
        vault,
        store,
      });
      const held = await store.dropsHeld();
      const swept = await files.deleteOrphanAttachments();
      if (held) expect(swept).toBe(0);
      const ids = await store.ids('sites');
      for (const id of ids) {
        expect(await files.attachments('sites', id), `files of ${id}, run ${run}`).toEqual(['a', 'b']);
        expect(await text(await files.getAttached('sites', id, 'b'))).toBe(`b of ${id}`);
      }
      // The rest of a pass the kill cut off, as the app's next pull ends it.
      if (held) await store.commit([], { releaseDrops: true });
      expect(await files.deleteOrphanAttachments()).toBe(0);
      const names = await readdir(join(folder, 'files'));
      expect(names.filter((n) => n.endsWith('.bwf')).length, `run ${run}`).toBe(2 * ids.length);
      expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
      vault.close();
      await store.close();
    }
  }, 120_000);
});
