/**
 * The data key (DEK): 256 random bits per store. It never encrypts anything itself; HKDF-SHA256
 * derives one subkey per purpose from it, so that the field-sealing key and the blind-index key
 * are independent (docs/crypto.md, "Subkeys"). In memory it is a non-extractable HKDF CryptoKey.
 */

import { SealingKey, type SealingKeyOptions } from './envelope/sealing-key.js';
import { CryptoParameterError } from './errors.js';
import { KEY_BYTES } from './lib/aes-gcm.js';
import { utf8 } from './lib/bytes.js';
import { type RandomBytes, randomBytes } from './random.js';

/** HKDF info of the field-sealing subkey (AES-256-GCM). */
export const FIELD_SEALING_INFO = 'bulwark/v1/field-sealing';
/** HKDF info of the blind-index subkey (HMAC-SHA256). */
export const BLIND_INDEX_INFO = 'bulwark/v1/blind-index';

// The DEK is uniformly random, so HKDF-Extract needs no salt (RFC 5869, section 3.1); the empty
// salt is HashLen zero bytes. The info labels alone separate the subkeys.
const NO_SALT = new Uint8Array(0);

/**
 * 32 fresh random bytes for a new data key. Wrap them, import them, then overwrite them.
 *
 * @example
 * ```ts
 * const raw = generateDataKeyBytes();
 * const wrapped = await wrapDataKey(raw, 'dek-1', { kind: 'keystore', kekId: 'device', key: kek });
 * const dataKey = await importDataKey(raw);
 * raw.fill(0);
 * ```
 */
export function generateDataKeyBytes(
  options: { readonly random?: RandomBytes } = {},
): Uint8Array<ArrayBuffer> {
  const raw = (options.random ?? randomBytes)(KEY_BYTES);
  if (!(raw instanceof Uint8Array) || raw.length !== KEY_BYTES) {
    throw new CryptoParameterError('random source must return the requested 32 bytes');
  }
  return new Uint8Array(raw);
}

/**
 * Imports 32 raw bytes as a non-extractable data key (HKDF).
 *
 * @example
 * ```ts
 * const dataKey = await importDataKey(raw);
 * ```
 */
export async function importDataKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  if (!(raw instanceof Uint8Array) || raw.length !== KEY_BYTES) {
    throw new CryptoParameterError('data key must be 32 bytes');
  }
  return globalThis.crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey', 'deriveBits']);
}

/** Refuses anything but an HKDF key that may derive keys. */
export function checkDataKey(dataKey: CryptoKey): void {
  if (dataKey?.algorithm?.name !== 'HKDF' || !dataKey.usages.includes('deriveKey')) {
    throw new CryptoParameterError('data key must be an HKDF CryptoKey that allows "deriveKey"');
  }
}

/**
 * The subkeys of one data key.
 *
 * @example
 * ```ts
 * const { sealingKey, blindIndexKey }: DataKeys = await deriveDataKeys(dataKey, 'dek-1');
 * ```
 */
export interface DataKeys {
  /** AES-256-GCM key for `seal`/`open`, with the data key's id. Non-extractable. */
  readonly sealingKey: SealingKey;
  /** HMAC-SHA256 key for `blindIndex`. Non-extractable. */
  readonly blindIndexKey: CryptoKey;
}

/**
 * Derives the field-sealing and blind-index subkeys of a data key with HKDF-SHA256.
 *
 * @example
 * ```ts
 * const { sealingKey, blindIndexKey } = await deriveDataKeys(dataKey, 'dek-1', { sealCount: storedCount });
 * const keyring = new Keyring(sealingKey);
 * ```
 */
export async function deriveDataKeys(
  dataKey: CryptoKey,
  keyId: string,
  options: SealingKeyOptions = {},
): Promise<DataKeys> {
  checkDataKey(dataKey);
  const subtle = globalThis.crypto.subtle;
  const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: NO_SALT, info: utf8(info, 'info') });
  const sealing = await subtle.deriveKey(
    hkdf(FIELD_SEALING_INFO),
    dataKey,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  const blindIndexKey = await subtle.deriveKey(
    hkdf(BLIND_INDEX_INFO),
    dataKey,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign'],
  );
  return { sealingKey: new SealingKey(keyId, sealing, options), blindIndexKey };
}
