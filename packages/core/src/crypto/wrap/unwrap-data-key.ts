/**
 * Unwraps a data key into a non-extractable HKDF CryptoKey with WebCrypto's `unwrapKey`, so the
 * raw key bytes never reach JavaScript memory on this path. Checks, in order: format bytes,
 * secret kind, KDF parameters against the floors (`kdf_too_weak`, nothing derived yet), then
 * derives the KEK and authenticates; every authentication failure is `decryption_failed`.
 */
import { DecryptionError } from '../errors.js';
import { type KdfFloors, resolveKdfFloors } from '../kdf/parameters.js';
import { checkAesGcmParameters, TAG_BITS } from '../lib/aes-gcm.js';
import { concat } from '../lib/bytes.js';
import { parseWrappedKey } from './format.js';
import { resolveUnwrapKek, type UnwrapSecret } from './key-encryption-key.js';

/**
 * Options of {@link unwrapDataKey}.
 *
 * @example
 * ```ts
 * const options: UnwrapOptions = { floors: { argon2idMemoryKiB: 65_536 } };
 * ```
 */
export interface UnwrapOptions {
  /** Refuse blobs whose KDF is weaker than this; only higher than the OWASP minimums. */
  readonly floors?: Partial<KdfFloors>;
}

/**
 * An unwrapped data key and its id.
 *
 * @example
 * ```ts
 * const { keyId, dataKey }: UnwrappedDataKey = await unwrapDataKey(blob, { passcode });
 * ```
 */
export interface UnwrappedDataKey {
  readonly keyId: string;
  /** Non-extractable HKDF key; pass it to `deriveDataKeys`. */
  readonly dataKey: CryptoKey;
}

/**
 * Unwraps `blob` with a keystore key or a passcode.
 *
 * @example
 * ```ts
 * const { keyId, dataKey } = await unwrapDataKey(blob, { passcode: '4711-open' });
 * const { sealingKey, blindIndexKey } = await deriveDataKeys(dataKey, keyId);
 * ```
 */
export async function unwrapDataKey(
  blob: Uint8Array<ArrayBuffer>,
  secret: UnwrapSecret,
  options: UnwrapOptions = {},
): Promise<UnwrappedDataKey> {
  const floors = resolveKdfFloors(options.floors);
  const parsed = parseWrappedKey(blob);
  const kek = await resolveUnwrapKek(parsed, secret, floors, 'unwrapKey');
  const params = { key: kek, iv: parsed.iv, additionalData: parsed.header, tagLength: TAG_BITS };
  checkAesGcmParameters(params, 'unwrapKey', parsed.tag);
  try {
    const dataKey = await globalThis.crypto.subtle.unwrapKey(
      'raw',
      concat(parsed.ciphertext, parsed.tag),
      kek,
      { name: 'AES-GCM', iv: parsed.iv, additionalData: parsed.header, tagLength: TAG_BITS },
      'HKDF',
      false,
      ['deriveKey', 'deriveBits'],
    );
    return { keyId: parsed.keyId, dataKey };
  } catch {
    throw new DecryptionError();
  }
}
