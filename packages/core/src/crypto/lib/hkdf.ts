/**
 * HKDF-SHA256 (RFC 5869) over WebCrypto, with the output limit of the RFC enforced before
 * WebCrypto is called (255 hash lengths; longer outputs would repeat blocks).
 */
import { CryptoParameterError } from '../errors.js';

/** Longest HKDF-SHA256 output in bytes: 255 * 32. */
export const HKDF_SHA256_MAX_BYTES = 255 * 32;

/** Checks an HKDF-SHA256 output length in bytes. */
export function checkHkdfLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 1 || length > HKDF_SHA256_MAX_BYTES) {
    throw new CryptoParameterError(`HKDF-SHA256 output must be 1 to ${HKDF_SHA256_MAX_BYTES} bytes`);
  }
}

/** Derives `length` bytes from input keying material (raw bytes or an HKDF CryptoKey). */
export async function hkdfSha256(
  ikm: Uint8Array<ArrayBuffer> | CryptoKey,
  salt: Uint8Array<ArrayBuffer>,
  info: Uint8Array<ArrayBuffer>,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  checkHkdfLength(length);
  const subtle = globalThis.crypto.subtle;
  const key =
    ikm instanceof Uint8Array ? await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']) : ikm;
  return new Uint8Array(
    await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, key, length * 8),
  );
}
