/**
 * Wraps a 256-bit data key under a key-encryption key with AES-256-GCM (not AES-KW: GCM lets the
 * header with key id, KEK kind and KDF parameters be authenticated as AAD, and it is the one
 * primitive the module already validates). Layout in wrap/format.ts and docs/crypto.md.
 */
import { CryptoParameterError } from '../errors.js';
import { type KdfFloors, resolveKdfFloors } from '../kdf/parameters.js';
import { aesGcmEncrypt, KEY_BYTES, TAG_BITS } from '../lib/aes-gcm.js';
import { concat } from '../lib/bytes.js';
import { drawIv } from '../lib/iv.js';
import { checkKeyId } from '../lib/key-id.js';
import { type RandomBytes, randomBytes } from '../random.js';
import { wrappedKeyHeader } from './format.js';
import { type KeyEncryptionKeySpec, resolveWrapKek } from './key-encryption-key.js';

/**
 * Options of {@link wrapDataKey} and `rewrapDataKey`.
 *
 * @example
 * ```ts
 * const options: WrapOptions = { floors: { pbkdf2Iterations: 1_000_000 } };
 * ```
 */
export interface WrapOptions {
  /** Floors for passcode KDFs; only higher than the OWASP minimums. They are also the defaults. */
  readonly floors?: Partial<KdfFloors>;
  /** Source of salt and IV. Tests only: the default draws fresh CSPRNG bytes. */
  readonly random?: RandomBytes;
}

/**
 * Wraps the raw data key `dataKey` (32 bytes) with id `keyId` under the KEK `kek` describes.
 * Store the result; the raw bytes can then be overwritten.
 *
 * @example
 * ```ts
 * const blob = await wrapDataKey(raw, 'dek-1', { kind: 'pbkdf2', passcode: '4711-open' });
 * ```
 */
export async function wrapDataKey(
  dataKey: Uint8Array<ArrayBuffer>,
  keyId: string,
  kek: KeyEncryptionKeySpec,
  options: WrapOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  if (!(dataKey instanceof Uint8Array) || dataKey.length !== KEY_BYTES) {
    throw new CryptoParameterError('data key must be 32 bytes');
  }
  checkKeyId(keyId);
  const random = options.random ?? randomBytes;
  const resolved = await resolveWrapKek(kek, resolveKdfFloors(options.floors), random);
  const header = wrappedKeyHeader({ keyId, kek: resolved.kek });
  const iv = drawIv(random);
  const { ciphertext, tag } = await aesGcmEncrypt({
    key: resolved.key,
    iv,
    additionalData: header,
    tagLength: TAG_BITS,
    plaintext: dataKey,
  });
  return concat(header, iv, ciphertext, tag);
}
