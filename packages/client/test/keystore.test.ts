/**
 * One behaviour suite for every keystore adapter, then the platform quirks each adapter must
 * survive: string-only values and size limits, missing keys after a backup restore, biometric
 * invalidation, file permissions and atomic writes, and sealed secrets in IndexedDB.
 */
import 'fake-indexeddb/auto';
import { chmod, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import {
  CapacitorSecureStorageKeystore,
  ExpoSecureStoreKeystore,
  IndexedDbKeystore,
  type Keystore,
  MemoryKeystore,
  ReactNativeKeychainKeystore,
  SecureItems,
} from '../src/index.js';
import { FileKeystore } from '../src/node/index.js';
import {
  FakeCapacitorSecureStorage,
  FakeExpoSecureStore,
  FakeReactNativeKeychain,
} from './fakes/mobile-keystores.js';

let dbCounter = 0;

interface Subject {
  name: string;
  /** Opens the same underlying storage again (a restart), or undefined when not persistent. */
  make(): Promise<{ keystore: Keystore; reopen?: () => Promise<Keystore> }>;
}

const subjects: Subject[] = [
  { name: 'memory', make: async () => ({ keystore: new MemoryKeystore() }) },
  {
    name: 'indexeddb',
    make: async () => {
      const databaseName = `ks-${++dbCounter}`;
      return {
        keystore: await IndexedDbKeystore.open({ databaseName }),
        reopen: () => IndexedDbKeystore.open({ databaseName }),
      };
    },
  },
  {
    name: 'node file',
    make: async () => {
      const path = join(await mkdtemp(join(tmpdir(), 'bulwark-ks-')), 'keys', 'keystore.json');
      return { keystore: await FileKeystore.open({ path }), reopen: () => FileKeystore.open({ path }) };
    },
  },
  {
    name: 'react-native-keychain',
    make: async () => {
      const fake = new FakeReactNativeKeychain();
      return {
        keystore: new ReactNativeKeychainKeystore(fake),
        reopen: async () => new ReactNativeKeychainKeystore(fake),
      };
    },
  },
  {
    name: 'expo-secure-store',
    make: async () => {
      const fake = new FakeExpoSecureStore();
      return {
        keystore: new ExpoSecureStoreKeystore(fake),
        reopen: async () => new ExpoSecureStoreKeystore(fake),
      };
    },
  },
  {
    name: 'capacitor-secure-storage',
    make: async () => {
      const fake = new FakeCapacitorSecureStorage();
      return {
        keystore: new CapacitorSecureStorageKeystore(fake),
        reopen: async () => new CapacitorSecureStorageKeystore(fake),
      };
    },
  },
];

const iv = new Uint8Array(12);
async function encrypt(key: CryptoKey, text: string): Promise<ArrayBuffer> {
  return crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(text));
}
async function decrypt(key: CryptoKey, data: ArrayBuffer): Promise<string> {
  return new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, data));
}

describe.each(subjects)('keystore behaviour: $name', (subject) => {
  it('stores, replaces and deletes secrets byte for byte', async () => {
    const { keystore } = await subject.make();
    expect(await keystore.getSecret('token')).toBeUndefined();
    const value = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    await keystore.setSecret('token', value);
    expect(await keystore.getSecret('token')).toEqual(value);
    await keystore.setSecret('token', Uint8Array.of(1, 2, 3));
    expect(await keystore.getSecret('token')).toEqual(Uint8Array.of(1, 2, 3));
    await keystore.setSecret('empty', new Uint8Array(0));
    expect(await keystore.getSecret('empty')).toEqual(new Uint8Array(0));
    await keystore.deleteSecret('token');
    expect(await keystore.getSecret('token')).toBeUndefined();
    await keystore.deleteSecret('never-there');
  });

  it('creates non-extractable AES-GCM keys that survive a restart and are replaced by createKey', async () => {
    const { keystore, reopen } = await subject.make();
    expect(await keystore.getKey('kek')).toBeUndefined();
    const key = await keystore.createKey('kek');
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
    const data = await encrypt(key, 'hello');
    const again = (await (reopen ? reopen() : Promise.resolve(keystore)).then((k) =>
      k.getKey('kek'),
    )) as CryptoKey;
    expect(again.extractable).toBe(false);
    expect(await decrypt(again, data)).toBe('hello');
    const replaced = await keystore.createKey('kek');
    await expect(decrypt(replaced, data)).rejects.toThrow();
    await keystore.deleteKey('kek');
    expect(await keystore.getKey('kek')).toBeUndefined();
  });

  it('keeps keys and secrets of the same name apart', async () => {
    const { keystore } = await subject.make();
    await keystore.setSecret('same', Uint8Array.of(9));
    await keystore.createKey('same');
    expect(await keystore.getSecret('same')).toEqual(Uint8Array.of(9));
    await keystore.deleteSecret('same');
    expect(await keystore.getKey('same')).toBeDefined();
  });

  it('clear() destroys every key and secret', async () => {
    const { keystore, reopen } = await subject.make();
    await keystore.createKey('a');
    await keystore.createKey('b');
    await keystore.setSecret('c', Uint8Array.of(1));
    await keystore.clear();
    const after = reopen ? await reopen() : keystore;
    for (const k of [keystore, after]) {
      expect(await k.getKey('a')).toBeUndefined();
      expect(await k.getKey('b')).toBeUndefined();
      expect(await k.getSecret('c')).toBeUndefined();
    }
  });

  it.each(['', 'a b', '../etc/passwd', 'x/y', 'é', 'a'.repeat(65)])(
    'refuses the malformed entry name %j and stores nothing',
    async (name) => {
      const { keystore } = await subject.make();
      await expect(keystore.setSecret(name, Uint8Array.of(1))).rejects.toMatchObject({
        code: 'invalid_argument',
      });
      await expect(keystore.createKey(name)).rejects.toMatchObject({ code: 'invalid_argument' });
      await expect(keystore.getSecret(name)).rejects.toMatchObject({ code: 'invalid_argument' });
    },
  );

  it('treats __proto__ as an ordinary name', async () => {
    const { keystore, reopen } = await subject.make();
    await keystore.setSecret('__proto__', Uint8Array.of(7));
    const after = reopen ? await reopen() : keystore;
    expect(await after.getSecret('__proto__')).toEqual(Uint8Array.of(7));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a biometric gate where the platform has none, and honours it where it has', async () => {
    const { keystore } = await subject.make();
    if (keystore.protection.biometrics) {
      await keystore.setSecret('bio', Uint8Array.of(1), { requireBiometrics: true });
      expect(await keystore.getSecret('bio')).toEqual(Uint8Array.of(1));
    } else {
      await expect(
        keystore.setSecret('bio', Uint8Array.of(1), { requireBiometrics: true }),
      ).rejects.toMatchObject({
        code: 'keystore_unsupported',
      });
      await expect(keystore.createKey('bio', { requireBiometrics: true })).rejects.toMatchObject({
        code: 'keystore_unsupported',
      });
      expect(await keystore.getSecret('bio')).toBeUndefined();
    }
  });

  it('secure items keep strings and bytes apart and validate names', async () => {
    const { keystore } = await subject.make();
    const items = new SecureItems(keystore);
    await items.set('national-id', 'Ünïcödé 1850321-9876 🔐');
    await items.set('seed', Uint8Array.of(0, 255, 128));
    expect(await items.getString('national-id')).toBe('Ünïcödé 1850321-9876 🔐');
    expect(await items.getBytes('seed')).toEqual(Uint8Array.of(0, 255, 128));
    await expect(items.getBytes('national-id')).rejects.toMatchObject({ code: 'corrupt_data' });
    await expect(items.getString('seed')).rejects.toMatchObject({ code: 'corrupt_data' });
    await expect(items.set('bad name', 'x')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(items.set('x', 42 as unknown as string)).rejects.toMatchObject({ code: 'invalid_argument' });
    await items.delete('seed');
    expect(await items.getBytes('seed')).toBeUndefined();
    expect(await items.getString('missing')).toBeUndefined();
  });
});

describe('react-native-keychain adapter', () => {
  it('stores strings only, device-only, and loses keys on a backup restore', async () => {
    const fake = new FakeReactNativeKeychain();
    const keystore = new ReactNativeKeychainKeystore(fake);
    await keystore.createKey('vault.kek');
    for (const entry of fake.entries.values()) {
      expect(typeof entry.value).toBe('string');
      expect(entry.accessible).toBe('AccessibleWhenUnlockedThisDeviceOnly');
    }
    fake.simulateBackupRestore();
    expect(await new ReactNativeKeychainKeystore(fake).getKey('vault.kek')).toBeUndefined();
  });

  it('gates biometric entries with BIOMETRY_CURRENT_SET and fails after a new enrolment', async () => {
    const fake = new FakeReactNativeKeychain();
    const keystore = new ReactNativeKeychainKeystore(fake);
    await keystore.createKey('vault.bio', { requireBiometrics: true });
    const write = fake.calls.find(
      (c) => c.method === 'set' && JSON.stringify(c.options).includes('vault.bio'),
    );
    expect(write?.options).toMatchObject({ accessControl: 'BiometryCurrentSet' });
    expect(await keystore.getKey('vault.bio', { prompt: 'Unlock' })).toBeDefined();
    expect(fake.calls.at(-1)?.options).toMatchObject({ authenticationPrompt: { title: 'Unlock' } });
    fake.cancelPrompt = true;
    await expect(keystore.getKey('vault.bio')).rejects.toMatchObject({ code: 'keystore_failed' });
    fake.cancelPrompt = false;
    fake.enrollNewBiometric();
    const error = await keystore.getKey('vault.bio').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'keystore_failed' });
    expect((error as Error).message).not.toMatch(/[A-Za-z0-9+/]{40,}/);
  });
});

describe('expo-secure-store adapter', () => {
  it('refuses values over 2048 stored bytes before calling the plugin, accepts the largest that fits', async () => {
    const fake = new FakeExpoSecureStore();
    const keystore = new ExpoSecureStoreKeystore(fake);
    // 1536 raw bytes are 2048 base64 characters: the largest value that fits.
    await keystore.setSecret('fits', new Uint8Array(1536).fill(1));
    expect(await keystore.getSecret('fits')).toEqual(new Uint8Array(1536).fill(1));
    const before = fake.entries.size;
    await expect(keystore.setSecret('big', new Uint8Array(1537))).rejects.toMatchObject({
      code: 'keystore_value_too_large',
    });
    expect(fake.entries.size).toBe(before);
    expect(fake.warnings).toEqual([]);
    expect(await keystore.getSecret('big')).toBeUndefined();
  });

  it('uses only keys the plugin accepts and loses device-only keys on a backup restore', async () => {
    const fake = new FakeExpoSecureStore();
    const keystore = new ExpoSecureStoreKeystore(fake, { namespace: 'my-app' });
    await keystore.createKey('vault.kek-1');
    await keystore.setSecret('item.token_2', Uint8Array.of(1));
    for (const [key, entry] of fake.entries) {
      expect(key).toMatch(/^[\w.-]+$/);
      expect(key.startsWith('my-app.')).toBe(true);
      expect(entry.accessible).toBe(fake.WHEN_UNLOCKED_THIS_DEVICE_ONLY);
    }
    fake.simulateBackupRestore();
    expect(await keystore.getKey('vault.kek-1')).toBeUndefined();
  });

  it('invalidates requireAuthentication entries on a new biometric enrolment', async () => {
    const fake = new FakeExpoSecureStore();
    const keystore = new ExpoSecureStoreKeystore(fake);
    await keystore.createKey('vault.bio', { requireBiometrics: true });
    expect(await keystore.getKey('vault.bio')).toBeDefined();
    fake.enrollNewBiometric();
    await expect(keystore.getKey('vault.bio')).rejects.toMatchObject({ code: 'keystore_failed' });
  });
});

describe('capacitor secure storage adapter', () => {
  it('turns the plugin rejection for a missing key into undefined, and a real failure into an error', async () => {
    const fake = new FakeCapacitorSecureStorage();
    const keystore = new CapacitorSecureStorageKeystore(fake);
    expect(await keystore.getKey('vault.kek')).toBeUndefined();
    await keystore.deleteKey('vault.kek');
    await keystore.createKey('vault.kek');
    fake.simulateAndroidBackupRestore();
    await expect(keystore.getKey('vault.kek')).rejects.toMatchObject({ code: 'keystore_failed' });
  });

  it('clear() removes every entry the SDK wrote and nothing else', async () => {
    const fake = new FakeCapacitorSecureStorage();
    await fake.set({ key: 'someone-else', value: 'x' });
    const keystore = new CapacitorSecureStorageKeystore(fake);
    await keystore.createKey('a');
    await keystore.setSecret('b', Uint8Array.of(1));
    await keystore.clear();
    expect([...fake.entries.keys()]).toEqual(['someone-else']);
  });
});

describe('IndexedDB keystore', () => {
  it('keeps secrets sealed at rest and refuses a tampered record', async () => {
    const databaseName = `ks-raw-${++dbCounter}`;
    const keystore = await IndexedDbKeystore.open({ databaseName });
    const canary = 'canary-7f3a9c1e5b';
    await keystore.setSecret('token', new TextEncoder().encode(canary));
    const raw = await openDB(databaseName);
    const stored = (await raw.get('secrets', 'token')) as Uint8Array;
    expect(new TextDecoder('latin1').decode(stored)).not.toContain(canary);
    const tampered = new Uint8Array(stored);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    await raw.put('secrets', tampered, 'token');
    // A sealed secret moved to another name does not open either.
    await raw.put('secrets', stored, 'other');
    raw.close();
    await expect(keystore.getSecret('token')).rejects.toMatchObject({ code: 'decryption_failed' });
    await expect(keystore.getSecret('other')).rejects.toMatchObject({ code: 'decryption_failed' });
  });

  it('reads a secret cleared at the same time as present or absent, never as unreadable', async () => {
    const keystore = await IndexedDbKeystore.open({ databaseName: `ks-race-${++dbCounter}` });
    const value = new TextEncoder().encode('s3cret');
    for (let round = 0; round < 5; round++) {
      await keystore.setSecret('token', value);
      // The reads start first; the wipe is queued between the steps of a read that is not atomic.
      const [before, during, , after] = await Promise.all([
        keystore.getSecret('token'),
        keystore.getSecret('token'),
        keystore.clear(),
        keystore.getSecret('token'),
      ]);
      for (const read of [before, during]) {
        if (read !== undefined) expect(new TextDecoder().decode(read)).toBe('s3cret');
      }
      expect(after).toBeUndefined();
      expect(await keystore.getSecret('token')).toBeUndefined();
    }
    keystore.close();
  });

  it('never leaves a secret sealed under a key a concurrent wipe removed', async () => {
    const keystore = await IndexedDbKeystore.open({ databaseName: `ks-race-set-${++dbCounter}` });
    const value = new TextEncoder().encode('s3cret');
    await keystore.setSecret('first', value);
    await Promise.all([keystore.setSecret('token', value), keystore.clear()]);
    // Whichever came last, what is stored reads back; a set racing a wipe may be wiped but not broken.
    const read = await keystore.getSecret('token');
    if (read !== undefined) expect(new TextDecoder().decode(read)).toBe('s3cret');
    await keystore.setSecret('next', value);
    expect(new TextDecoder().decode((await keystore.getSecret('next')) as Uint8Array)).toBe('s3cret');
    keystore.close();
  });
});

describe('Node file keystore', () => {
  it('writes a 0600 file in a 0700 folder, atomically, and refuses a file others can read', async () => {
    const folder = join(await mkdtemp(join(tmpdir(), 'bulwark-ks-')), 'keys');
    const path = join(folder, 'keystore.json');
    const keystore = await FileKeystore.open({ path });
    await keystore.createKey('vault.kek');
    await keystore.setSecret('token', Uint8Array.of(1, 2));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    expect(await readdir(folder)).toEqual(['keystore.json']);
    await chmod(path, 0o644);
    await expect(FileKeystore.open({ path })).rejects.toMatchObject({ code: 'keystore_failed' });
    await expect(keystore.getKey('vault.kek')).rejects.toMatchObject({ code: 'keystore_failed' });
  });

  it('refuses a malformed file instead of starting empty', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-ks-'));
    const path = join(folder, 'keystore.json');
    await writeFile(path, '{"version":1,"keys":{"a":5},"secrets":{}}', { mode: 0o600 });
    await expect(FileKeystore.open({ path })).rejects.toMatchObject({ code: 'keystore_failed' });
    await writeFile(path, 'not json', { mode: 0o600 });
    await expect(FileKeystore.open({ path })).rejects.toMatchObject({ code: 'keystore_failed' });
  });

  it('clear() removes the file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-ks-'));
    const path = join(folder, 'keystore.json');
    const keystore = await FileKeystore.open({ path });
    await keystore.createKey('vault.kek');
    const before = await readFile(path, 'utf8');
    expect(before).toContain('vault.kek');
    await keystore.clear();
    expect(await readdir(folder)).toEqual([]);
  });
});
