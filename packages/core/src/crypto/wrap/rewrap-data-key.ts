/**
 * Re-wraps a data key under a new KEK (passcode change, keystore key rotation) without the data
 * key ever leaving this function: it is decrypted, wrapped again with the same key id, and the
 * raw bytes are overwritten. The data encrypted under it does not change.
 */

import { resolveKdfFloors } from '../kdf/parameters.js';
import { aesGcmDecrypt, TAG_BITS } from '../lib/aes-gcm.js';
import { parseWrappedKey } from './format.js';
import { type KeyEncryptionKeySpec, resolveUnwrapKek, type UnwrapSecret } from './key-encryption-key.js';
import { type WrapOptions, wrapDataKey } from './wrap-data-key.js';

/**
 * Unwraps `blob` with `secret` and wraps the same data key under `next`. The floors in
 * `options` apply to both the old blob and the new one.
 *
 * @example
 * ```ts
 * const next = await rewrapDataKey(blob, { passcode: oldPasscode }, { kind: 'argon2id', passcode: newPasscode });
 * ```
 */
export async function rewrapDataKey(
  blob: Uint8Array<ArrayBuffer>,
  secret: UnwrapSecret,
  next: KeyEncryptionKeySpec,
  options: WrapOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const parsed = parseWrappedKey(blob);
  const kek = await resolveUnwrapKek(parsed, secret, resolveKdfFloors(options.floors), 'decrypt');
  const raw = await aesGcmDecrypt({
    key: kek,
    iv: parsed.iv,
    additionalData: parsed.header,
    tagLength: TAG_BITS,
    ciphertext: parsed.ciphertext,
    tag: parsed.tag,
  });
  try {
    return await wrapDataKey(raw, parsed.keyId, next, options);
  } finally {
    raw.fill(0);
  }
}
