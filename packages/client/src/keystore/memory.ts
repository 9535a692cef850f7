/**
 * In-memory keystore: nothing survives the process. For tests, for kiosk sessions that must leave
 * nothing behind, and as the reference behaviour of the interface.
 */
import { copyBytes, zero } from '@bulwark/core/crypto';
import type { Keystore, KeystoreProtection, KeystoreWriteOptions } from './keystore.js';
import { checkEntryName, generateAesKey, refuseBiometrics } from './lib/names.js';

/**
 * A keystore that lives in memory only.
 *
 * @example
 * ```ts
 * const keystore = new MemoryKeystore();
 * const key = await keystore.createKey('vault.kek');
 * ```
 */
export class MemoryKeystore implements Keystore {
  readonly protection: KeystoreProtection = Object.freeze({
    adapter: 'memory',
    hardwareBacked: false,
    nonExtractable: true,
    survivesAppCodeExecution: false,
    persistent: false,
    biometrics: false,
    excludedFromBackup: true,
  });
  readonly #secrets = new Map<string, Uint8Array<ArrayBuffer>>();
  readonly #keys = new Map<string, CryptoKey>();

  async getSecret(name: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
    checkEntryName(name);
    const value = this.#secrets.get(name);
    return value === undefined ? undefined : copyBytes(value);
  }

  async setSecret(name: string, value: Uint8Array, options: KeystoreWriteOptions = {}): Promise<void> {
    checkEntryName(name);
    refuseBiometrics(options);
    zero(this.#secrets.get(name));
    this.#secrets.set(name, copyBytes(value));
  }

  async deleteSecret(name: string): Promise<void> {
    checkEntryName(name);
    zero(this.#secrets.get(name));
    this.#secrets.delete(name);
  }

  async getKey(name: string): Promise<CryptoKey | undefined> {
    checkEntryName(name);
    return this.#keys.get(name);
  }

  async createKey(name: string, options: KeystoreWriteOptions = {}): Promise<CryptoKey> {
    checkEntryName(name);
    refuseBiometrics(options);
    const key = await generateAesKey();
    this.#keys.set(name, key);
    return key;
  }

  async deleteKey(name: string): Promise<void> {
    checkEntryName(name);
    this.#keys.delete(name);
  }

  async clear(): Promise<void> {
    this.#keys.clear();
    for (const value of this.#secrets.values()) zero(value);
    this.#secrets.clear();
  }
}
