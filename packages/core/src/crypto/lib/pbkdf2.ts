/**
 * PBKDF2-HMAC-SHA256 (RFC 8018) over WebCrypto. This raw function bounds its inputs against
 * denial of service only; the floors for passcodes are applied by kdf/parameters.ts.
 */
import { CryptoParameterError } from '../errors.js';
import { PBKDF2_MAX_ITERATIONS } from './kdf-limits.js';

/** Longest output this module derives in one call, in bytes. */
const MAX_OUTPUT_BYTES = 1024;

/** `length` bytes of PBKDF2-HMAC-SHA256 over raw password bytes. */
export async function pbkdf2Sha256(
  password: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) {
    throw new CryptoParameterError(`PBKDF2 iterations must be 1 to ${PBKDF2_MAX_ITERATIONS}`);
  }
  if (!Number.isSafeInteger(length) || length < 1 || length > MAX_OUTPUT_BYTES) {
    throw new CryptoParameterError(`PBKDF2 output must be 1 to ${MAX_OUTPUT_BYTES} bytes`);
  }
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(
    await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, length * 8),
  );
}
