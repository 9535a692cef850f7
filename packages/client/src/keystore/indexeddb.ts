/**
 * Browser keystore: non-extractable WebCrypto keys kept in IndexedDB (structured clone keeps a
 * CryptoKey usable without ever exposing its bytes). Secrets are sealed with core's envelope under
 * one such key, so the profile directory holds no plaintext secret. What this does not protect:
 * script running in the same origin can use the keys (not read them), and the browser keeps the
 * keys' bytes in the profile, so a copy of the whole profile carries them; docs/platforms.md.
 */
import { open, SealingKey, seal } from '@bulwark/core/crypto';
import { type IDBPDatabase, openDB } from 'idb';
import { KeystoreError } from '../errors.js';
import type { Keystore, KeystoreProtection, KeystoreWriteOptions } from './keystore.js';
import { checkEntryName, generateAesKey, refuseBiometrics } from './lib/names.js';

const KEYS = 'keys';
const SECRETS = 'secrets';
// Not a valid entry name (contains '#'), so an app can never overwrite or delete it by name.
const SECRETS_KEY = '#secrets';

/**
 * Options of {@link IndexedDbKeystore.open}.
 *
 * @example
 * ```ts
 * const options: IndexedDbKeystoreOptions = { databaseName: 'inspections-keys' };
 * ```
 */
export interface IndexedDbKeystoreOptions {
  /** IndexedDB database name. Default `bulwark-keystore`. */
  readonly databaseName?: string;
}

/**
 * A keystore in IndexedDB for browsers, PWAs and WebViews.
 *
 * @example
 * ```ts
 * const keystore = await IndexedDbKeystore.open();
 * const kek = (await keystore.getKey('vault.kek')) ?? (await keystore.createKey('vault.kek'));
 * ```
 */
export class IndexedDbKeystore implements Keystore {
  readonly protection: KeystoreProtection = Object.freeze({
    adapter: 'browser-indexeddb',
    hardwareBacked: false,
    nonExtractable: true,
    survivesAppCodeExecution: false,
    persistent: true,
    biometrics: false,
    // A copy of the browser profile (a disk backup) carries the key's bytes with the data.
    excludedFromBackup: false,
  });
  readonly #db: IDBPDatabase;

  private constructor(db: IDBPDatabase) {
    this.#db = db;
  }

  /**
   * Opens (creating on first use) the keystore database.
   *
   * @example
   * ```ts
   * const keystore = await IndexedDbKeystore.open({ databaseName: 'my-app-keys' });
   * ```
   */
  static async open(options: IndexedDbKeystoreOptions = {}): Promise<IndexedDbKeystore> {
    try {
      const db = await openDB(options.databaseName ?? 'bulwark-keystore', 1, {
        upgrade(database) {
          database.createObjectStore(KEYS);
          database.createObjectStore(SECRETS);
        },
        // Another connection (a wipe in another tab, an upgrade) needs the database: let it go.
        blocking(_current, _blocked, event) {
          (event.target as IDBDatabase).close();
        },
      });
      return new IndexedDbKeystore(db);
    } catch (cause) {
      throw new KeystoreError('could not open the IndexedDB keystore', { cause });
    }
  }

  /** Closes the database connection. */
  close(): void {
    this.#db.close();
  }

  async getSecret(name: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
    checkEntryName(name);
    // One transaction over both stores: a clear() runs wholly before or after it, so a secret is
    // read with its wrapping key or found absent, never found without its key.
    const [sealed, wrapping] = await this.#run(async () => {
      const tx = this.#db.transaction([KEYS, SECRETS], 'readonly');
      const read = await Promise.all([
        tx.objectStore(SECRETS).get(name),
        tx.objectStore(KEYS).get(SECRETS_KEY),
      ]);
      await tx.done;
      return read as [unknown, CryptoKey | undefined];
    });
    if (sealed === undefined) return undefined;
    if (wrapping === undefined || !(sealed instanceof Uint8Array)) {
      throw new KeystoreError('keystore secret is unreadable');
    }
    const key = new SealingKey('keystore-secrets', wrapping);
    return open(new Map([[key.id, key]]), sealed as Uint8Array<ArrayBuffer>, secretContext(name));
  }

  async setSecret(name: string, value: Uint8Array, options: KeystoreWriteOptions = {}): Promise<void> {
    checkEntryName(name);
    refuseBiometrics(options);
    // Sealing is asynchronous and cannot run inside an IndexedDB transaction, so a clear() may
    // remove the wrapping key between sealing and writing. The write checks, in the same
    // transaction, that the key is still there; if it went, the set happens after the clear and
    // seals again under a new key, rather than storing a secret nothing can open.
    for (let attempt = 0; attempt < 3; attempt++) {
      const key = (await this.#secretsKey(true)) as SealingKey;
      const sealed = await seal(key, new Uint8Array(value), secretContext(name));
      const written = await this.#run(async () => {
        const tx = this.#db.transaction([KEYS, SECRETS], 'readwrite');
        const present = (await tx.objectStore(KEYS).get(SECRETS_KEY)) !== undefined;
        if (present) await tx.objectStore(SECRETS).put(sealed, name);
        await tx.done;
        return present;
      });
      if (written) return;
    }
    throw new KeystoreError('keystore kept being cleared while a secret was written');
  }

  async deleteSecret(name: string): Promise<void> {
    checkEntryName(name);
    await this.#run(() => this.#db.delete(SECRETS, name));
  }

  async getKey(name: string): Promise<CryptoKey | undefined> {
    checkEntryName(name);
    const key: unknown = await this.#run(() => this.#db.get(KEYS, name));
    return key === undefined ? undefined : (key as CryptoKey);
  }

  async createKey(name: string, options: KeystoreWriteOptions = {}): Promise<CryptoKey> {
    checkEntryName(name);
    refuseBiometrics(options);
    const key = await generateAesKey();
    await this.#run(() => this.#db.put(KEYS, key, name));
    return key;
  }

  async deleteKey(name: string): Promise<void> {
    checkEntryName(name);
    await this.#run(() => this.#db.delete(KEYS, name));
  }

  async clear(): Promise<void> {
    // One transaction over both stores: keys and secrets go together or not at all.
    await this.#run(async () => {
      const tx = this.#db.transaction([KEYS, SECRETS], 'readwrite');
      await Promise.all([tx.objectStore(KEYS).clear(), tx.objectStore(SECRETS).clear(), tx.done]);
    });
  }

  async #secretsKey(create: boolean): Promise<SealingKey | undefined> {
    let key = (await this.#run(() => this.#db.get(KEYS, SECRETS_KEY))) as CryptoKey | undefined;
    if (key === undefined) {
      if (!create) return undefined;
      const fresh = await generateAesKey();
      // Add, not put: two tabs creating the key at once must not overwrite each other's.
      const tx = this.#db.transaction(KEYS, 'readwrite');
      const existing = (await tx.store.get(SECRETS_KEY)) as CryptoKey | undefined;
      if (existing === undefined) await tx.store.add(fresh, SECRETS_KEY);
      await tx.done;
      key = existing ?? fresh;
    }
    return new SealingKey('keystore-secrets', key);
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (cause) {
      throw new KeystoreError('IndexedDB keystore operation failed', { cause });
    }
  }
}

function secretContext(name: string): { purpose: string; name: string } {
  return { purpose: 'bulwark.keystore.secret', name };
}
