/**
 * Secure items: the app's own small secrets (a refresh token, an identity number, an API key) kept
 * in the platform keystore, the way mobile apps use keystore plugins, behind one API on every
 * platform. Each value carries a one-byte type tag so that a string comes back as a string and
 * bytes as bytes; values are limited by the keystore (2048 stored bytes on expo-secure-store).
 * Larger or many records belong in the encrypted store, not here.
 */

import { concatBytes, copyBytes, utf8Decode, utf8Encode } from '@bulwark/core/crypto';
import { CorruptDataError, InvalidArgumentError } from '../errors.js';
import type { Keystore, KeystoreReadOptions, KeystoreWriteOptions } from '../keystore/keystore.js';

const TAG_STRING = 0x01;
const TAG_BYTES = 0x02;
const NAME = /^[A-Za-z0-9._-]{1,48}$/;

/**
 * Small secrets of the app in the keystore.
 *
 * @example
 * ```ts
 * const items = new SecureItems(keystore);
 * await items.set('national-id', '1850321-9876');
 * const id = await items.getString('national-id'); // '1850321-9876'
 * await items.delete('national-id');
 * ```
 */
export class SecureItems {
  readonly #keystore: Keystore;

  constructor(keystore: Keystore) {
    this.#keystore = keystore;
  }

  /**
   * Stores a string or bytes under `name` (1 to 48 characters of `A-Z a-z 0-9 . _ -`).
   *
   * @example
   * ```ts
   * await items.set('refresh-token', token, { requireBiometrics: true });
   * ```
   */
  async set(name: string, value: string | Uint8Array, options: KeystoreWriteOptions = {}): Promise<void> {
    const entry = entryName(name);
    let payload: Uint8Array<ArrayBuffer>;
    if (typeof value === 'string') payload = concatBytes(Uint8Array.of(TAG_STRING), utf8Encode(value));
    else if (value instanceof Uint8Array) payload = concatBytes(Uint8Array.of(TAG_BYTES), value);
    else throw new InvalidArgumentError('secure item values are strings or Uint8Arrays');
    try {
      await this.#keystore.setSecret(entry, payload, options);
    } finally {
      payload.fill(0);
    }
  }

  /**
   * The string under `name`, or `undefined`. Refuses an item that was stored as bytes.
   *
   * @example
   * ```ts
   * const token = await items.getString('refresh-token', { prompt: 'Sign in' });
   * ```
   */
  async getString(name: string, options: KeystoreReadOptions = {}): Promise<string | undefined> {
    const payload = await this.#keystore.getSecret(entryName(name), options);
    if (payload === undefined) return undefined;
    try {
      if (payload[0] !== TAG_STRING) throw new CorruptDataError(`secure item "${name}" is not a string`);
      return utf8Decode(payload.subarray(1));
    } catch (err) {
      if (err instanceof CorruptDataError) throw err;
      throw new CorruptDataError(`secure item "${name}" is not valid UTF-8`);
    } finally {
      payload.fill(0);
    }
  }

  /**
   * The bytes under `name`, or `undefined`. Refuses an item that was stored as a string.
   *
   * @example
   * ```ts
   * const seed = await items.getBytes('totp-seed');
   * ```
   */
  async getBytes(
    name: string,
    options: KeystoreReadOptions = {},
  ): Promise<Uint8Array<ArrayBuffer> | undefined> {
    const payload = await this.#keystore.getSecret(entryName(name), options);
    if (payload === undefined) return undefined;
    try {
      if (payload[0] !== TAG_BYTES) throw new CorruptDataError(`secure item "${name}" is not bytes`);
      return copyBytes(payload.subarray(1));
    } finally {
      payload.fill(0);
    }
  }

  /**
   * Removes the item; no error when absent.
   *
   * @example
   * ```ts
   * await items.delete('refresh-token');
   * ```
   */
  async delete(name: string): Promise<void> {
    await this.#keystore.deleteSecret(entryName(name));
  }
}

function entryName(name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidArgumentError('secure item names are 1 to 48 characters of A-Z a-z 0-9 . _ -');
  }
  return `item.${name}`;
}
