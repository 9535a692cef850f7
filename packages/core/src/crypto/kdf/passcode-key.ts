/**
 * Derives a key-encryption key from a passcode: NFKC + UTF-8 (kdf/passcode.ts), then PBKDF2 or
 * Argon2id with parameters checked against the floors first. The result is a non-extractable
 * AES-256-GCM CryptoKey; raw derived bytes are overwritten once imported.
 */

import { KEY_BYTES } from '../lib/aes-gcm.js';
import { argon2idRaw } from '../lib/argon2id.js';
import { pbkdf2Sha256 } from '../lib/pbkdf2.js';
import {
  checkKdfParameters,
  type KdfFloors,
  type PasscodeKdfParameters,
  resolveKdfFloors,
} from './parameters.js';
import { encodePasscode } from './passcode.js';

/** Usages of every key-encryption key: wrap (encrypt), unwrap (unwrapKey), rewrap (decrypt). */
export const KEK_USAGES: readonly KeyUsage[] = ['encrypt', 'decrypt', 'unwrapKey'];

/**
 * The key-encryption key of `passcode` under `params`. Refuses parameters below `floors`
 * (default: the OWASP minimums) with `kdf_too_weak` before deriving anything.
 *
 * @example
 * ```ts
 * const kek = await derivePasscodeKey('correct horse', { kind: 'argon2id', memoryKiB: 19_456, iterations: 2, parallelism: 1, salt });
 * ```
 */
export async function derivePasscodeKey(
  passcode: string,
  params: PasscodeKdfParameters,
  floors: Partial<KdfFloors> = {},
): Promise<CryptoKey> {
  checkKdfParameters(params, resolveKdfFloors(floors));
  const password = encodePasscode(passcode);
  const raw =
    params.kind === 'pbkdf2'
      ? await pbkdf2Sha256(password, params.salt, params.iterations, KEY_BYTES)
      : await argon2idRaw(
          password,
          params.salt,
          params.memoryKiB,
          params.iterations,
          params.parallelism,
          KEY_BYTES,
        );
  password.fill(0);
  try {
    return await globalThis.crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, [...KEK_USAGES]);
  } finally {
    raw.fill(0);
  }
}
