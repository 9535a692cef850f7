/**
 * The shared half of the mobile keystore adapters. The platform plugins (react-native-keychain,
 * expo-secure-store, Capacitor secure storage) store strings only, under limited key alphabets
 * and sizes, and cannot all list their entries. This class stores bytes as base64, keys as their
 * raw bytes (imported as non-extractable CryptoKeys on read), refuses oversized values up front,
 * and keeps an index entry so that `clear()` can find every entry on every platform.
 */

import { fromBase64, type RandomBytes, randomBytes, toBase64, utf8Encode, zero } from '@bulwark/core/crypto';
import { KeystoreError, KeystoreValueTooLargeError } from '../../errors.js';
import type { Keystore, KeystoreProtection, KeystoreReadOptions, KeystoreWriteOptions } from '../keystore.js';
import { checkEntryName, importAesKey, refuseBiometrics } from './names.js';

/** What a platform adapter provides: string entries under full names. */
export interface StringEntryStore {
  /** The entry's string, or `undefined` when absent. Platform failures throw. */
  read(name: string, options: { biometric: boolean; prompt?: string }): Promise<string | undefined>;
  /** Writes (replaces) an entry. */
  write(name: string, value: string, options: { biometric: boolean }): Promise<void>;
  /** Removes an entry; no error when absent. */
  remove(name: string): Promise<void>;
}

/** Options shared by the string-backed adapters. */
export interface StringKeystoreOptions {
  /** Prefix of every entry name, so that several stores can share one app. Default `bulwark`. */
  readonly namespace?: string;
  /** Largest stored string in UTF-8 bytes. Default 2048 (expo-secure-store's documented limit). */
  readonly maxValueBytes?: number;
  /** Randomness for new keys. Default: the platform CSPRNG. */
  readonly random?: RandomBytes;
}

interface Index {
  names: string[];
  gated: string[];
}

const KEY_PREFIX = 'k1:';

/** A keystore over string entries; see the module comment. */
export class StringKeystore implements Keystore {
  readonly protection: KeystoreProtection;
  readonly #store: StringEntryStore;
  readonly #namespace: string;
  readonly #maxValueBytes: number;
  readonly #random: RandomBytes;
  // Serialises every operation: the index is read-modify-write.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: StringEntryStore, protection: KeystoreProtection, options: StringKeystoreOptions = {}) {
    this.#store = store;
    this.protection = Object.freeze({ ...protection });
    this.#namespace = options.namespace ?? 'bulwark';
    checkEntryName(this.#namespace);
    this.#maxValueBytes = options.maxValueBytes ?? 2048;
    this.#random = options.random ?? randomBytes;
  }

  async getSecret(
    name: string,
    options: KeystoreReadOptions = {},
  ): Promise<Uint8Array<ArrayBuffer> | undefined> {
    checkEntryName(name);
    return this.#serial(async () => {
      const text = await this.#read(this.#full('s', name), options);
      if (text === undefined) return undefined;
      const bytes = fromBase64(text);
      if (bytes === undefined) throw new KeystoreError('keystore entry is not in the expected format');
      return bytes;
    });
  }

  async setSecret(name: string, value: Uint8Array, options: KeystoreWriteOptions = {}): Promise<void> {
    checkEntryName(name);
    if (!this.protection.biometrics) refuseBiometrics(options);
    const text = toBase64(value);
    return this.#serial(() => this.#write(this.#full('s', name), text, options));
  }

  async deleteSecret(name: string): Promise<void> {
    checkEntryName(name);
    return this.#serial(() => this.#remove(this.#full('s', name)));
  }

  async getKey(name: string, options: KeystoreReadOptions = {}): Promise<CryptoKey | undefined> {
    checkEntryName(name);
    return this.#serial(async () => {
      const text = await this.#read(this.#full('k', name), options);
      if (text === undefined) return undefined;
      const raw = text.startsWith(KEY_PREFIX) ? fromBase64(text.slice(KEY_PREFIX.length)) : undefined;
      if (raw === undefined || raw.length !== 32) {
        throw new KeystoreError('keystore key entry is not in the expected format');
      }
      try {
        return await importAesKey(raw);
      } finally {
        zero(raw);
      }
    });
  }

  async createKey(name: string, options: KeystoreWriteOptions = {}): Promise<CryptoKey> {
    checkEntryName(name);
    if (!this.protection.biometrics) refuseBiometrics(options);
    return this.#serial(async () => {
      const raw = new Uint8Array(this.#random(32));
      try {
        await this.#write(this.#full('k', name), KEY_PREFIX + toBase64(raw), options);
        return await importAesKey(raw);
      } finally {
        zero(raw);
      }
    });
  }

  async deleteKey(name: string): Promise<void> {
    checkEntryName(name);
    return this.#serial(() => this.#remove(this.#full('k', name)));
  }

  async clear(): Promise<void> {
    return this.#serial(async () => {
      const index = await this.#readIndex();
      for (const name of index.names) await this.#platform(() => this.#store.remove(name));
      await this.#platform(() => this.#store.remove(this.#indexName()));
    });
  }

  #full(kind: 's' | 'k', name: string): string {
    return `${this.#namespace}.${kind}.${name}`;
  }

  #indexName(): string {
    return `${this.#namespace}.index`;
  }

  async #read(full: string, options: KeystoreReadOptions): Promise<string | undefined> {
    const index = await this.#readIndex();
    const biometric = index.gated.includes(full);
    const readOptions = options.prompt === undefined ? { biometric } : { biometric, prompt: options.prompt };
    return this.#platform(() => this.#store.read(full, readOptions));
  }

  async #write(full: string, value: string, options: KeystoreWriteOptions): Promise<void> {
    if (utf8Encode(value).length > this.#maxValueBytes)
      throw new KeystoreValueTooLargeError(this.#maxValueBytes);
    const biometric = options.requireBiometrics === true;
    // Index first: a crash after it leaves a name to clean up, never an entry clear() cannot find.
    const index = await this.#readIndex();
    const names = index.names.includes(full) ? index.names : [...index.names, full];
    const gated = index.gated.filter((n) => n !== full);
    if (biometric) gated.push(full);
    await this.#writeIndex({ names, gated });
    await this.#platform(() => this.#store.write(full, value, { biometric }));
  }

  async #remove(full: string): Promise<void> {
    await this.#platform(() => this.#store.remove(full));
    const index = await this.#readIndex();
    if (!index.names.includes(full)) return;
    await this.#writeIndex({
      names: index.names.filter((n) => n !== full),
      gated: index.gated.filter((n) => n !== full),
    });
  }

  async #readIndex(): Promise<Index> {
    const text = await this.#platform(() => this.#store.read(this.#indexName(), { biometric: false }));
    if (text === undefined) return { names: [], gated: [] };
    try {
      const parsed: unknown = JSON.parse(text);
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        Array.isArray((parsed as Index).names) &&
        Array.isArray((parsed as Index).gated) &&
        (parsed as Index).names.every((n) => typeof n === 'string') &&
        (parsed as Index).gated.every((n) => typeof n === 'string')
      ) {
        return { names: (parsed as Index).names, gated: (parsed as Index).gated };
      }
    } catch {
      // fall through to the format error below
    }
    throw new KeystoreError('keystore index entry is not in the expected format');
  }

  async #writeIndex(index: Index): Promise<void> {
    const text = JSON.stringify(index);
    if (utf8Encode(text).length > this.#maxValueBytes)
      throw new KeystoreValueTooLargeError(this.#maxValueBytes);
    await this.#platform(() => this.#store.write(this.#indexName(), text, { biometric: false }));
  }

  async #platform<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (cause) {
      throw new KeystoreError(`${this.protection.adapter} failed`, { cause });
    }
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
