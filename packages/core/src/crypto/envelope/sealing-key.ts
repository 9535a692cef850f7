/**
 * A sealing key: an AES-256-GCM CryptoKey with its key id and its usage counter. With random
 * 96-bit IVs, NIST SP 800-38D allows at most 2^32 encryptions under one key; the counter lets a
 * caller watch how close a key is and refuses sealing past the limit (docs/crypto.md, "IV
 * policy"). The count lives in this object: a caller that keeps using a key across sessions
 * persists `sealCount` and passes it back when it rebuilds the key.
 */
import { CryptoParameterError, KeyUsageLimitError } from '../errors.js';
import { checkAesGcmCryptoKey, KEY_BYTES } from '../lib/aes-gcm.js';
import { checkKeyId } from '../lib/key-id.js';

/** Messages one key may seal with random 96-bit IVs (NIST SP 800-38D, section 8.3). */
export const NIST_RANDOM_IV_LIMIT = 2 ** 32;

/**
 * Options of {@link SealingKey}.
 *
 * @example
 * ```ts
 * const options: SealingKeyOptions = { sealCount: await loadCount('k1'), sealLimit: 2 ** 30 };
 * ```
 */
export interface SealingKeyOptions {
  /** Messages already sealed under this key in earlier sessions. Default 0. */
  readonly sealCount?: number;
  /** Refuse sealing once this many messages were sealed. Default and maximum 2^32. */
  readonly sealLimit?: number;
}

function checkCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > NIST_RANDOM_IV_LIMIT) {
    throw new CryptoParameterError(`${what} must be an integer from 0 to 2^32`);
  }
}

/**
 * An AES-256-GCM key with its id and usage counter; what `seal` and `open` take.
 *
 * @example
 * ```ts
 * const key = await SealingKey.import('k1', rawKeyBytes);
 * const envelope = await seal(key, plaintext, context);
 * console.log(key.sealCount); // 1
 * ```
 */
export class SealingKey {
  /** Key id written into every envelope this key seals. */
  readonly id: string;
  /** The AES-GCM 256 key; non-extractable when made by this module. */
  readonly key: CryptoKey;
  /** Refuses sealing once `sealCount` reaches it. */
  readonly sealLimit: number;
  #sealCount: number;

  constructor(id: string, key: CryptoKey, options: SealingKeyOptions = {}) {
    checkKeyId(id);
    checkAesGcmCryptoKey(key, 'encrypt', 'sealing key');
    checkAesGcmCryptoKey(key, 'decrypt', 'sealing key');
    const sealCount = options.sealCount ?? 0;
    const sealLimit = options.sealLimit ?? NIST_RANDOM_IV_LIMIT;
    checkCount(sealCount, 'sealCount');
    checkCount(sealLimit, 'sealLimit');
    this.id = id;
    this.key = key;
    this.sealLimit = sealLimit;
    this.#sealCount = sealCount;
  }

  /**
   * Imports 32 raw bytes as a non-extractable sealing key.
   *
   * @example
   * ```ts
   * const key = await SealingKey.import('k1', rawKeyBytes, { sealLimit: 1_000_000 });
   * ```
   */
  static async import(
    id: string,
    raw: Uint8Array<ArrayBuffer>,
    options: SealingKeyOptions = {},
  ): Promise<SealingKey> {
    if (raw.length !== KEY_BYTES) throw new CryptoParameterError('sealing key must be 32 bytes (AES-256)');
    const key = await globalThis.crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, [
      'encrypt',
      'decrypt',
    ]);
    return new SealingKey(id, key, options);
  }

  /** Messages sealed under this key so far (including `options.sealCount`). */
  get sealCount(): number {
    return this.#sealCount;
  }

  /**
   * Counts one more use, or refuses when the limit is reached. Called by `seal` before it draws
   * an IV, so a failed encryption still counts: the count errs on the safe side.
   *
   * @example
   * ```ts
   * key.reserveSeal(); // throws KeyUsageLimitError once key.sealCount === key.sealLimit
   * ```
   */
  reserveSeal(): void {
    if (this.#sealCount >= this.sealLimit) {
      throw new KeyUsageLimitError(`key "${this.id}" reached its limit of ${this.sealLimit} messages`);
    }
    this.#sealCount += 1;
  }
}
