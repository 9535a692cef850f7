/**
 * The SDK in one call. The Node quick start of docs/client.md runs here as it is written against
 * the real server (only the deployment's values change: the server's loopback URL in dev mode,
 * a temporary data folder, no TLS pins on loopback): set up, sign in, sync, get revoked, wipe,
 * and the server confirms the wipe; a receipt the network lost goes out on the next start. The
 * browser preset runs on fake-indexeddb, and each wipe trigger goes through the created client.
 */
import 'fake-indexeddb/auto';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collection, defineSchema, t } from '@bulwark/core/schema';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BulwarkClient,
  createClient as createWebClient,
  fromSchema,
  IndexedDbBackend,
  IndexedDbFileStorage,
  MemoryBackend,
  MemoryReceiptOutbox,
  ReactNativeKeychainKeystore,
} from '../src/index.js';
import {
  createClient,
  DirectoryFileStorage,
  FileKeystore,
  type NodeClientOptions,
  SqliteBackend,
} from '../src/node/index.js';
import { canary, scan } from './fakes/canary.js';
import { ManualClock } from './fakes/clock.js';
import { FaultBudget, faultyBackend, faultyFileStorage, faultyKeystore } from './fakes/faults.js';
import { FakeReactNativeKeychain } from './fakes/mobile-keystores.js';
import {
  deviceStatus,
  posture,
  type RealServer,
  revokeAsAdmin,
  startRealServer,
  USER,
} from './lib/real-server.js';

const sitesSchema = collection('sites', {
  fields: {
    name: t.string({ maxLength: 100 }),
    notes: t.string({ maxLength: 200 }).sensitive().optional(),
  },
});
const schema = defineSchema({ version: 1, collections: [sitesSchema] });
const collections = [fromSchema(sitesSchema)];
const PASSCODE = '482916';

let server: RealServer;

beforeAll(async () => {
  server = await startRealServer(undefined, { schema });
}, 60_000);

afterAll(async () => {
  await server.close();
});

/** The ```ts block of docs/client.md that follows `heading`. */
async function docBlock(heading: string): Promise<string> {
  const doc = await readFile(new URL('../../../docs/client.md', import.meta.url), 'utf8');
  const at = doc.indexOf(heading);
  expect(at).toBeGreaterThanOrEqual(0);
  const match = /```ts\n([\s\S]*?)```/.exec(doc.slice(at));
  if (match === null) throw new Error(`no code block after ${heading}`);
  return match[1] as string;
}

/**
 * Runs the Node quick start as written: imports removed, TypeScript transpiled, the free names
 * given as parameters, and `createClient` given the test server's URL and a folder of its own.
 */
async function runNodeQuickStart(
  dataDir: string,
  more: Partial<NodeClientOptions> = {},
): Promise<BulwarkClient> {
  const block = await docBlock('### Node and Electron');
  expect(block.trimEnd().split('\n').length).toBeLessThanOrEqual(15);
  const body = ts.transpileModule(block.replace(/^import .*$/gm, ''), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<BulwarkClient>;
  const run = new AsyncFunction(
    'createClient',
    'pinConfig',
    'collections',
    'posture',
    'passcode',
    'username',
    'password',
    `${body}\nreturn client;`,
  );
  const local = (options: NodeClientOptions) => {
    const { pins: _pins, ...rest } = options;
    return createClient({ ...rest, baseUrl: server.url, devMode: true, dataDir, ...more });
  };
  return run(local, undefined, collections, posture, PASSCODE, USER.username, USER.password);
}

describe('createClient for Node, against the real server', () => {
  it('runs the docs quick start: sign in, sync, revoked by an admin, wiped, the server sees the wipe confirmed', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-one-call-'));
    const client = await runNodeQuickStart(dataDir);
    expect(client.status).toBe('unlocked');
    expect(await deviceStatus(server, client.deviceId)).toBe('active');
    expect(await client.syncEngine.pending()).toBe(0); // the quick start's record reached the server
    const secret = canary();
    await client.syncEngine.put('sites', { id: randomUUID(), name: 'Annex', notes: secret });
    const { push } = await client.sync();
    expect(push.applied).toBe(1);
    expect(client.protection().platform).toBe('node');

    const deviceId = client.deviceId;
    const wiped: unknown[] = [];
    client.transport.onRevoked(() => wiped.push(client.status));
    await revokeAsAdmin(server.url, deviceId, 'stolen');
    await expect(client.sync()).rejects.toMatchObject({ code: 'device_revoked' });
    expect(wiped).toEqual(['wiped']);
    expect(client.status).toBe('wiped');
    expect(await deviceStatus(server, deviceId)).toBe('wipe_confirmed');
    expect(await scan(dataDir, [secret])).toEqual([]);
    expect(() => client.store).toThrow(expect.objectContaining({ code: 'vault_wiped' }));
    await client.close();
  });

  it('sends a receipt the network lost on the next start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-one-call-offline-'));
    // The device learns of its revocation, then loses the network before its receipt goes.
    let online = true;
    const fetchOnline: typeof fetch = (input, init) =>
      online || !String(input instanceof Request ? input.url : input).endsWith('/devices/wipe-receipt')
        ? fetch(input, init)
        : Promise.reject(new TypeError('fetch failed'));
    const options = {
      platform: 'node',
      dataDir,
      baseUrl: server.url,
      devMode: true,
      collections,
      posture,
    } as const;
    const results: unknown[] = [];
    const client = await createClient({
      ...options,
      fetch: fetchOnline,
      onWiped: (r) => results.push(r),
      // Told at once, before the wipe; what it throws does not stop the wipe.
      onDeviceRevoked: () => {
        results.push('revoked');
        throw new Error('app code failing');
      },
    });
    await client.setPasscode(PASSCODE);
    await client.signIn(USER);
    const deviceId = client.deviceId;
    await revokeAsAdmin(server.url, deviceId, 'lost');
    online = false;
    await expect(client.sync()).rejects.toMatchObject({ code: 'device_revoked' });
    expect(results).toEqual(['revoked', { reason: 'device_revoked', receiptSent: false }]);
    expect(await deviceStatus(server, deviceId)).toBe('revoked');
    expect(await client.outbox?.load()).toMatch(/^ey/);
    await client.close();

    // Still offline at the next start: kept. Online at the one after: sent and confirmed.
    const offline = await createClient({ ...options, fetch: fetchOnline });
    expect(await offline.outbox?.load()).toMatch(/^ey/);
    await offline.close();
    online = true;
    const restarted = await createClient(options);
    expect(await deviceStatus(server, deviceId)).toBe('wipe_confirmed');
    expect(await restarted.outbox?.load()).toBeUndefined();
    expect(restarted.status).toBe('uninitialized'); // a new install from here
    await restarted.close();
  });

  it('applies the server policy to the vault; after sign-out, the next start is a new device', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-one-call-policy-'));
    const client = await createClient({
      platform: 'electron',
      dataDir,
      baseUrl: server.url,
      devMode: true,
      collections,
      posture,
    });
    await client.setPasscode(PASSCODE);
    const { settings } = await client.signIn(USER);
    expect(client.vault.attemptsLeft).toBe(settings.failedUnlockLimit);
    const first = client.deviceId;
    await client.signOut();
    expect(client.status).toBe('wiped');
    await expect(client.setPasscode(PASSCODE)).rejects.toMatchObject({ code: 'vault_wiped' });
    await client.close();

    const again = await createClient({
      platform: 'electron',
      dataDir,
      baseUrl: server.url,
      devMode: true,
      collections,
      posture,
    });
    expect(again.status).toBe('uninitialized');
    await again.setPasscode(PASSCODE);
    await again.signIn(USER);
    expect(again.deviceId).not.toBe(first);
    expect(await deviceStatus(server, again.deviceId)).toBe('active');
    await again.close();
  });
});

describe('createClient: a wipe that a crash cut short is finished at the next start', () => {
  it('a kill before any write of the wipe leaves the install whole; after any later one, the next start finishes it', async () => {
    const base = { platform: 'node', baseUrl: server.url, devMode: true, collections, posture } as const;
    const plain = Array.from({ length: 5 }, () => canary());
    const secret = Array.from({ length: 5 }, () => canary());
    let completed = false;
    const outcomes: string[] = [];
    for (let budget = 0; !completed; budget++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-one-call-cut-wipe-'));
      const setup = await createClient({ ...base, dataDir });
      await setup.setPasscode();
      await setup.store.putMany(
        'sites',
        plain.map((name, i) => ({ id: `s${i}`, name, notes: secret[i] as string })),
      );
      await setup.files.put('photo', new Blob([secret.join('|')]).stream());
      await setup.close();

      // The app is killed after `budget` writes of the wipe: nothing is written after that.
      const faults = new FaultBudget();
      const dying = await createClient({
        ...base,
        dataDir,
        keystore: faultyKeystore(await FileKeystore.open({ path: join(dataDir, 'keystore.json') }), faults),
        backend: faultyBackend(await SqliteBackend.open({ path: join(dataDir, 'store.db') }), faults),
        fileStorage: faultyFileStorage(new DirectoryFileStorage(join(dataDir, 'files')), faults),
      });
      await dying.unlock();
      faults.remaining = budget;
      completed = await dying.wipe().then(
        () => true,
        () => false,
      );

      const wiped: unknown[] = [];
      const restarted = await createClient({ ...base, dataDir, onWiped: (r) => wiped.push(r) });
      if (restarted.status === 'locked') {
        // Killed before the tombstone, the wipe's first write: nothing was destroyed.
        expect(budget).toBe(0);
        await restarted.unlock();
        expect(await restarted.store.get('sites', 's0')).toEqual({
          id: 's0',
          name: plain[0],
          notes: secret[0],
        });
        outcomes.push('whole');
      } else {
        // Never a live vault whose keys are gone (`vault_key_missing`) over data left in clear:
        // the tombstone was there (`wiped`, finished now, reported once) or the data is gone.
        expect(['wiped', 'uninitialized']).toContain(restarted.status);
        const finishedNow = restarted.status === 'wiped';
        expect(wiped).toEqual(finishedNow ? [{ reason: 'manual', receiptSent: false }] : []);
        expect(await scan(dataDir, [...plain, ...secret])).toEqual([]);
        expect(await readdir(join(dataDir, 'files')).catch(() => [])).toEqual([]);
        const keystore = JSON.parse(await readFile(join(dataDir, 'keystore.json'), 'utf8')) as {
          keys: object;
          secrets: object;
        };
        expect([...Object.keys(keystore.keys), ...Object.keys(keystore.secrets)]).toEqual([]);
        if (finishedNow) {
          await restarted.close();
          // The start after that is a new install.
          const next = await createClient({ ...base, dataDir });
          expect(next.status).toBe('uninitialized');
          await next.close();
        }
        outcomes.push(finishedNow ? 'finished at start' : 'finished');
      }
      if (restarted.status !== 'wiped') await restarted.close();
    }
    expect(outcomes[0]).toBe('whole');
    expect(outcomes.filter((o) => o === 'finished at start').length).toBeGreaterThanOrEqual(4);
  });
});

describe('createClient: the server policy reaches the vault and the grace timer', () => {
  let strict: RealServer;
  beforeAll(async () => {
    strict = await startRealServer(undefined, undefined, {
      devicePolicy: { settings: { lockTimeoutSeconds: 0, failedUnlockLimit: 3, offlineGraceSeconds: 3600 } },
    });
  }, 60_000);
  afterAll(async () => {
    await strict.close();
  });

  it('locks at once on going to the background, allows 3 wrong passcodes, wipes after the grace period', async () => {
    const clock = new ManualClock(Date.now());
    const listeners = new Set<(state: 'active' | 'background') => void>();
    const appState = {
      subscribe: (listener: (state: 'active' | 'background') => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const emit = (state: 'active' | 'background') => {
      for (const listener of listeners) listener(state);
    };
    const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-one-call-strict-'));
    const results: unknown[] = [];
    const client = await createClient({
      platform: 'node',
      dataDir,
      baseUrl: strict.url,
      devMode: true,
      collections,
      posture,
      clock,
      appState,
      autoLock: { background: 'never' },
      onWiped: (r) => results.push(r),
    });
    await client.setPasscode(PASSCODE);
    await client.signIn(USER);
    expect(client.vault.attemptsLeft).toBe(3);
    emit('background');
    expect(client.status).toBe('locked'); // lockTimeoutSeconds 0: at once, over the app's 'never'
    emit('active');
    await client.unlock(PASSCODE);

    // Offline longer than the server's grace period: the next unlock wipes.
    client.lock();
    clock.advance(3601_000);
    await expect(client.unlock(PASSCODE)).rejects.toMatchObject({ code: 'vault_wiped' });
    expect(results).toEqual([{ reason: 'offline_grace_expired', receiptSent: false }]);
    await client.close();
  });

  it('keeps the policy after a restart without network: 3 wrong passcodes wipe, not the app default of 10', async () => {
    const listeners = new Set<(state: 'active' | 'background') => void>();
    const appState = {
      subscribe: (listener: (state: 'active' | 'background') => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-one-call-offline-policy-'));
    const options = {
      platform: 'node',
      dataDir,
      devMode: true,
      collections,
      posture,
      appState,
      autoLock: { background: 'never' },
    } as const;
    const client = await createClient({ ...options, baseUrl: strict.url });
    await client.setPasscode(PASSCODE);
    await client.signIn(USER);
    client.lock();
    await client.close();

    // A thief restarts the app with the network cut: no policy can come from the server.
    const offline = await createClient({
      ...options,
      baseUrl: strict.url,
      fetch: async () => {
        throw new TypeError('network down');
      },
    });
    expect(offline.vault.attemptsLeft).toBe(3);
    await offline.unlock(PASSCODE);
    for (const listener of listeners) listener('background');
    expect(offline.status).toBe('locked'); // the policy's lockTimeoutSeconds 0, over the app's 'never'
    await expect(offline.unlock('000001')).rejects.toMatchObject({ code: 'wrong_passcode', attemptsLeft: 2 });
    await expect(offline.unlock('000002')).rejects.toMatchObject({ code: 'wrong_passcode', attemptsLeft: 1 });
    await expect(offline.unlock('000003')).rejects.toMatchObject({ code: 'vault_wiped' });
    expect(offline.status).toBe('wiped');
    await offline.close();
  });
});

describe('createClient for browsers (fake-indexeddb) and mobile presets: every wipe trigger', () => {
  let n = 0;
  /** What the IndexedDB store of client `name` holds, seen through a connection of its own. */
  const stored = async (name: string) => {
    const backend = await IndexedDbBackend.open({ databaseName: `${name}-store` });
    try {
      return await backend.list('sites');
    } finally {
      await backend.close();
    }
  };
  const browser = (more: { clock?: ManualClock; name?: string } = {}) =>
    createWebClient({
      platform: 'browser',
      name: more.name ?? `one-call-${++n}`,
      baseUrl: 'https://api.example.com',
      collections,
      posture,
      outbox: new MemoryReceiptOutbox(),
      ...(more.clock === undefined ? {} : { clock: more.clock }),
    });

  it('wrong passcodes at the unlock screen wipe the store it has not opened yet', async () => {
    const name = `one-call-${++n}`;
    const first = await browser({ name });
    await first.setPasscode(PASSCODE);
    const secret = canary();
    await first.store.put('sites', { id: 's1', name: 'Depot', notes: secret });
    first.lock();
    first.vault.close();

    const results: unknown[] = [];
    const restarted = await createWebClient({
      platform: 'browser',
      name,
      baseUrl: 'https://api.example.com',
      collections,
      posture,
      onWiped: (r) => results.push(r),
    });
    expect(restarted.status).toBe('locked');
    expect(await restarted.backend.list('sites')).toHaveLength(1);
    const limit = restarted.vault.attemptsLeft;
    for (let i = 1; i < limit; i++) {
      await expect(restarted.unlock('000000')).rejects.toMatchObject({ code: 'wrong_passcode' });
    }
    await expect(restarted.unlock('000000')).rejects.toMatchObject({ code: 'vault_wiped' });
    expect(results).toEqual([{ reason: 'failed_unlocks', receiptSent: false }]);
    expect(restarted.status).toBe('wiped');
    expect(await stored(name)).toEqual([]);
  }, 60_000);

  it('signIn, store or sync before the vault is opened say which call opens it (vault_locked)', async () => {
    const name = `one-call-${++n}`;
    const client = await browser({ name });
    expect(client.status).toBe('uninitialized');
    await expect(client.signIn({ username: 'ada', password: 'pw' })).rejects.toMatchObject({
      code: 'vault_locked',
      message: expect.stringMatching(/setPasscode\(\).*connect\(\)/),
    });
    expect(() => client.store).toThrow(
      expect.objectContaining({ message: expect.stringContaining('setPasscode()') }),
    );
    await client.setPasscode(PASSCODE);
    await client.close();
    const restarted = await browser({ name });
    expect(restarted.status).toBe('locked');
    await expect(restarted.sync()).rejects.toMatchObject({
      code: 'vault_locked',
      message: expect.stringMatching(/unlock\(\).*connect\(\)/),
    });
    await restarted.close();
  });

  it('an expired offline grace period wipes at unlock', async () => {
    const clock = new ManualClock();
    const name = `one-call-${++n}`;
    const client = await browser({ clock, name });
    await client.setPasscode();
    await client.grace.setGracePeriod(3600);
    await client.grace.checkIn(clock.now());
    await client.store.put('sites', { id: 's1', name: 'Depot' });
    client.lock();
    clock.advance(3601_000);
    await expect(client.unlock()).rejects.toMatchObject({ code: 'vault_wiped' });
    expect(client.status).toBe('wiped');
    expect(await stored(name)).toEqual([]);
  });

  it('sign-out and the app’s own wipe go through the one wiper, files included', async () => {
    const name = `one-call-${++n}`;
    const out = await browser({ name });
    await out.setPasscode();
    await out.files.put('f1', new Blob(['a file']).stream());
    expect(await out.fileStorage?.read('f1')).toBeDefined();
    expect((await out.signOut()).reason).toBe('logout');
    expect(out.status).toBe('wiped');
    const files = await IndexedDbFileStorage.open({ databaseName: `${name}-files` });
    expect(await files.read('f1')).toBeUndefined();

    const manual = await browser();
    await manual.setPasscode();
    await manual.items.set('token', 'abc');
    expect((await manual.wipe()).reason).toBe('manual');
    expect(await manual.keystore.getSecret('token')).toBeUndefined();
    expect(() => manual.items).toThrow(expect.objectContaining({ code: 'vault_wiped' }));
  });

  it('React Native: the keystore adapter and store backend given, reported honestly', async () => {
    const keystore = new ReactNativeKeychainKeystore(new FakeReactNativeKeychain());
    const client = await createWebClient({
      platform: 'react-native',
      baseUrl: 'https://api.example.com',
      collections,
      posture,
      keystore,
      backend: new MemoryBackend(),
      outbox: new MemoryReceiptOutbox(),
    });
    await client.setPasscode(PASSCODE);
    await client.store.put('sites', { id: 's1', name: 'Depot' });
    expect(client.protection().platform).toBe('react-native');
    expect(client.protection().items.find((i) => i.id === 'tls_pinning')?.protected).toBe(false);
    await client.wipe();
    expect(await client.backend.list('sites')).toEqual([]);
  });

  it('connect(): signs in before the passcode is chosen, and a revocation met while locked wipes', async () => {
    const client = await createWebClient({
      platform: 'browser',
      name: `connect-${randomUUID()}`,
      baseUrl: server.url,
      devMode: true,
      collections,
      posture,
    });
    expect(client.status).toBe('uninitialized');
    await client.connect();
    const { settings } = await client.signIn(USER);
    expect(client.vault.attemptsLeft).toBe(settings.failedUnlockLimit);
    await client.setPasscode(PASSCODE);
    const secret = canary();
    await client.syncEngine.put('sites', { id: randomUUID(), name: 'Depot', notes: secret });
    expect((await client.sync()).push.applied).toBe(1);
    client.lock();
    const deviceId = client.deviceId;
    await revokeAsAdmin(server.url, deviceId, 'lost');
    await expect(client.transport.request('GET', '/me')).rejects.toMatchObject({ code: 'device_revoked' });
    expect(client.status).toBe('wiped');
    expect(await deviceStatus(server, deviceId)).toBe('wipe_confirmed');
    await expect(client.connect()).rejects.toMatchObject({ code: 'vault_wiped' });
    await client.close();
  });

  it('without collections: an online-only client (the console) signs in and calls the API, with no offline store', async () => {
    const client = await createWebClient({
      platform: 'browser',
      name: `online-${randomUUID()}`,
      baseUrl: server.url,
      devMode: true,
      collections: [],
      posture,
    });
    // Keystore-only protection: no passcode to ask an admin for.
    await client.setPasscode();
    const { user } = await client.signIn(USER);
    expect(await client.transport.request<{ userId: string }>('GET', '/me')).toMatchObject({
      userId: user.id,
    });
    expect(await deviceStatus(server, client.deviceId)).toBe('active');
    for (const offlineOnly of [() => client.store, () => client.syncEngine, () => client.files]) {
      expect(offlineOnly).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    }
    await expect(client.sync()).rejects.toMatchObject({ code: 'config_invalid' });
    expect(await client.backend.list('sites')).toEqual([]);
    await client.close();
  });
});
