/**
 * The raw AES-GCM pair under the one profile Bulwark supports: AES-256, 96-bit IV, 128-bit tag.
 * The envelope and the key wrap are built on it, and the Wycheproof suite drives it directly.
 * Everything outside the profile is refused with a `CryptoParameterError` before WebCrypto is
 * called; every authentication failure becomes the generic `DecryptionError`.
 *
 * The IV is a parameter here because the formats carry it; it must never repeat under one key
 * (see docs/crypto.md, "IV policy"). Nothing outside the crypto module calls these directly.
 */
import { CryptoParameterError, DecryptionError } from '../errors.js';
import { concat } from './bytes.js';

/** Key length of the profile in bytes (AES-256). */
export const KEY_BYTES = 32;
/** IV length of the profile in bytes (96 bits, the only length GCM uses without GHASH). */
export const IV_BYTES = 12;
/** Tag length of the profile in bytes (128 bits). */
export const TAG_BYTES = 16;
/** Tag length of the profile in bits, as WebCrypto spells it. */
export const TAG_BITS = 128;

/** A raw 32-byte key or an AES-GCM 256 CryptoKey. */
export type AesGcmKey = CryptoKey | Uint8Array<ArrayBuffer>;

export interface AesGcmParameters {
  readonly key: AesGcmKey;
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly additionalData: Uint8Array<ArrayBuffer>;
  /** Tag length in bits; must be 128. */
  readonly tagLength: number;
}

/** Refuses a CryptoKey that is not AES-GCM 256 or lacks `usage`. */
export function checkAesGcmCryptoKey(key: CryptoKey, usage: KeyUsage, what = 'key'): void {
  const algorithm = key.algorithm as Partial<AesKeyAlgorithm>;
  if (algorithm.name !== 'AES-GCM' || algorithm.length !== KEY_BYTES * 8) {
    throw new CryptoParameterError(`${what} must be an AES-GCM key of 256 bits`);
  }
  if (!key.usages.includes(usage)) {
    throw new CryptoParameterError(`${what} does not allow "${usage}"`);
  }
}

/** Refuses every parameter outside the profile; returns nothing and touches no key material. */
export function checkAesGcmParameters(params: AesGcmParameters, usage: KeyUsage, tag?: Uint8Array): void {
  const { key, iv, tagLength } = params;
  if (key instanceof Uint8Array) {
    if (key.length !== KEY_BYTES) throw new CryptoParameterError('AES-GCM key must be 32 bytes (AES-256)');
  } else {
    checkAesGcmCryptoKey(key, usage);
  }
  if (iv.length !== IV_BYTES) throw new CryptoParameterError('AES-GCM IV must be 12 bytes (96 bits)');
  if (tagLength !== TAG_BITS) throw new CryptoParameterError('AES-GCM tag length must be 128 bits');
  if (tag !== undefined && tag.length !== TAG_BYTES) {
    throw new CryptoParameterError('AES-GCM tag must be 16 bytes (128 bits)');
  }
}

async function cryptoKey(key: AesGcmKey, usage: KeyUsage): Promise<CryptoKey> {
  if (!(key instanceof Uint8Array)) return key;
  return globalThis.crypto.subtle.importKey('raw', key, { name: 'AES-GCM' }, false, [usage]);
}

/**
 * Encrypts under the profile; returns ciphertext and tag separately.
 *
 * @example
 * ```ts
 * const { ciphertext, tag } = await aesGcmEncrypt({ key, iv, additionalData, tagLength: 128, plaintext });
 * ```
 */
export async function aesGcmEncrypt(
  params: AesGcmParameters & { readonly plaintext: Uint8Array<ArrayBuffer> },
): Promise<{ ciphertext: Uint8Array<ArrayBuffer>; tag: Uint8Array<ArrayBuffer> }> {
  checkAesGcmParameters(params, 'encrypt');
  const sealed = new Uint8Array(
    await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: params.iv, additionalData: params.additionalData, tagLength: TAG_BITS },
      await cryptoKey(params.key, 'encrypt'),
      params.plaintext,
    ),
  );
  const split = sealed.length - TAG_BYTES;
  return { ciphertext: sealed.slice(0, split), tag: sealed.slice(split) };
}

/**
 * Decrypts and authenticates under the profile. Any authentication failure is a
 * `DecryptionError`; parameters outside the profile are a `CryptoParameterError` raised first.
 *
 * @example
 * ```ts
 * const plaintext = await aesGcmDecrypt({ key, iv, additionalData, tagLength: 128, ciphertext, tag });
 * ```
 */
export async function aesGcmDecrypt(
  params: AesGcmParameters & {
    readonly ciphertext: Uint8Array<ArrayBuffer>;
    readonly tag: Uint8Array<ArrayBuffer>;
  },
): Promise<Uint8Array<ArrayBuffer>> {
  checkAesGcmParameters(params, 'decrypt', params.tag);
  const key = await cryptoKey(params.key, 'decrypt');
  try {
    return new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: params.iv, additionalData: params.additionalData, tagLength: TAG_BITS },
        key,
        concat(params.ciphertext, params.tag),
      ),
    );
  } catch {
    // The platform's reason (tag mismatch, malformed input) is dropped on purpose.
    throw new DecryptionError();
  }
}
