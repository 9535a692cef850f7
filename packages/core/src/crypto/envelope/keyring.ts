/**
 * Key lookup by key id, so that envelopes sealed under an older key still open after a rotation.
 * `open` needs only {@link KeyLookup} (a `Map<string, SealingKey>` is one); {@link Keyring} adds
 * a primary key for sealing.
 */
import { CryptoParameterError } from '../errors.js';
import type { SealingKey } from './sealing-key.js';

/**
 * Finds the sealing key of a key id; `undefined` when unknown.
 *
 * @example
 * ```ts
 * const lookup: KeyLookup = new Map([[key.id, key]]);
 * ```
 */
export interface KeyLookup {
  get(keyId: string): SealingKey | undefined | Promise<SealingKey | undefined>;
}

/**
 * The keys of one store: the primary seals, every key opens.
 *
 * @example
 * ```ts
 * const keyring = new Keyring(currentKey, [previousKey]);
 * const envelope = await seal(keyring.primary, plaintext, context);
 * const plaintext2 = await open(keyring, envelope, context);
 * keyring.rotate(nextKey); // seals under nextKey from now on; old envelopes still open
 * ```
 */
export class Keyring implements KeyLookup {
  #primary: SealingKey;
  readonly #keys = new Map<string, SealingKey>();

  constructor(primary: SealingKey, others: Iterable<SealingKey> = []) {
    for (const key of others) this.add(key);
    this.add(primary);
    this.#primary = primary;
  }

  /** The key new envelopes are sealed with. */
  get primary(): SealingKey {
    return this.#primary;
  }

  /** Every key id the keyring can open. */
  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  get(keyId: string): SealingKey | undefined {
    return this.#keys.get(keyId);
  }

  /**
   * Adds a key that can open envelopes. Refuses a second, different key under an existing id.
   *
   * @example
   * ```ts
   * keyring.add(await SealingKey.import('k0', oldRawKey));
   * ```
   */
  add(key: SealingKey): void {
    const existing = this.#keys.get(key.id);
    if (existing !== undefined && existing !== key) {
      throw new CryptoParameterError(`keyring already holds a key with id "${key.id}"`);
    }
    this.#keys.set(key.id, key);
  }

  /**
   * Makes `key` the primary; the previous primary stays available for opening.
   *
   * @example
   * ```ts
   * keyring.rotate(newKey);
   * ```
   */
  rotate(key: SealingKey): void {
    this.add(key);
    this.#primary = key;
  }
}
