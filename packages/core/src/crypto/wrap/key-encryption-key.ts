/**
 * Key-encryption keys (KEKs): the keys that wrap a data key. Either a platform keystore key
 * (an AES-256-GCM CryptoKey, non-extractable where the platform allows) or a key derived from a
 * passcode with PBKDF2 or Argon2id. This module turns a caller's description into a CryptoKey,
 * checking KDF parameters against the floors before deriving anything.
 */
import { CryptoParameterError } from '../errors.js';
import { checkKdfParameters, type KdfFloors, type PasscodeKdfParameters } from '../kdf/parameters.js';
import { derivePasscodeKey, KEK_USAGES } from '../kdf/passcode-key.js';
import { checkAesGcmCryptoKey } from '../lib/aes-gcm.js';
import { SALT_MIN_BYTES } from '../lib/kdf-limits.js';
import { checkKeyId } from '../lib/key-id.js';
import type { RandomBytes } from '../random.js';
import type { ParsedWrappedKey, WrappedKeyInfo } from './format.js';

/**
 * How to obtain the KEK when wrapping. Passcode KDF parameters default to the floors in force
 * (the OWASP minimums unless raised); salts are always fresh random bytes.
 *
 * @example
 * ```ts
 * const kek: KeyEncryptionKeySpec = { kind: 'argon2id', passcode: '4711-open' };
 * const kek2: KeyEncryptionKeySpec = { kind: 'keystore', kekId: 'device-kek', key: await generateKeyEncryptionKey() };
 * ```
 */
export type KeyEncryptionKeySpec =
  | { readonly kind: 'keystore'; readonly kekId: string; readonly key: CryptoKey }
  | { readonly kind: 'pbkdf2'; readonly passcode: string; readonly iterations?: number }
  | {
      readonly kind: 'argon2id';
      readonly passcode: string;
      readonly memoryKiB?: number;
      readonly iterations?: number;
      readonly parallelism?: number;
    };

/**
 * The secret that unwraps a blob; its KDF parameters come from the blob itself.
 *
 * @example
 * ```ts
 * const secret: UnwrapSecret = { passcode: '4711-open' };
 * ```
 */
export type UnwrapSecret = { readonly keystoreKey: CryptoKey } | { readonly passcode: string };

/**
 * A fresh non-extractable AES-256-GCM key with the usages a KEK needs, for keystores that hold
 * WebCrypto keys (e.g. in IndexedDB).
 *
 * @example
 * ```ts
 * const kek = await generateKeyEncryptionKey();
 * ```
 */
export async function generateKeyEncryptionKey(): Promise<CryptoKey> {
  return globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [...KEK_USAGES]);
}

/** The KEK and header description for wrapping under `spec`. */
export async function resolveWrapKek(
  spec: KeyEncryptionKeySpec,
  floors: KdfFloors,
  random: RandomBytes,
): Promise<{ kek: WrappedKeyInfo['kek']; key: CryptoKey }> {
  if (spec.kind === 'keystore') {
    checkKeyId(spec.kekId, 'KEK id');
    checkAesGcmCryptoKey(spec.key, 'encrypt', 'key-encryption key');
    return { kek: { kind: 'keystore', kekId: spec.kekId }, key: spec.key };
  }
  const salt = new Uint8Array(random(SALT_MIN_BYTES));
  if (salt.length !== SALT_MIN_BYTES) {
    throw new CryptoParameterError('random source must return the requested 16 bytes');
  }
  let params: PasscodeKdfParameters;
  if (spec.kind === 'pbkdf2') {
    params = { kind: 'pbkdf2', iterations: spec.iterations ?? floors.pbkdf2Iterations, salt };
  } else if (spec.kind === 'argon2id') {
    params = {
      kind: 'argon2id',
      memoryKiB: spec.memoryKiB ?? floors.argon2idMemoryKiB,
      iterations: spec.iterations ?? floors.argon2idIterations,
      parallelism: spec.parallelism ?? floors.argon2idParallelism,
      salt,
    };
  } else {
    throw new CryptoParameterError('unknown key-encryption key kind');
  }
  return { kek: params, key: await derivePasscodeKey(spec.passcode, params, floors) };
}

/**
 * The KEK that unwraps `parsed`. Refuses a secret of the wrong kind and KDF parameters outside
 * the floors and ceilings before deriving anything.
 */
export async function resolveUnwrapKek(
  parsed: ParsedWrappedKey,
  secret: UnwrapSecret,
  floors: KdfFloors,
  usage: KeyUsage,
): Promise<CryptoKey> {
  const { kek } = parsed;
  if (typeof secret !== 'object' || secret === null) {
    throw new CryptoParameterError('unwrap secret must be { keystoreKey } or { passcode }');
  }
  if (kek.kind === 'keystore') {
    if (!('keystoreKey' in secret)) throw new CryptoParameterError('this wrapped key needs its keystore key');
    checkAesGcmCryptoKey(secret.keystoreKey, usage, 'key-encryption key');
    return secret.keystoreKey;
  }
  if (!('passcode' in secret)) throw new CryptoParameterError('this wrapped key needs a passcode');
  checkKdfParameters(kek, floors);
  return derivePasscodeKey(secret.passcode, kek, floors);
}
