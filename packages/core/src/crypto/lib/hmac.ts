/**
 * HMAC-SHA256 (RFC 2104) over WebCrypto. Returns the full 32-byte tag; callers that truncate
 * (the blind index) do so themselves and document it.
 */
import { CryptoParameterError } from '../errors.js';

/** Checks that `key` is an HMAC SHA-256 CryptoKey that may sign. */
export function checkHmacKey(key: CryptoKey, what = 'HMAC key'): void {
  const algorithm = key.algorithm as Partial<HmacKeyAlgorithm>;
  if (algorithm.name !== 'HMAC' || algorithm.hash?.name !== 'SHA-256' || !key.usages.includes('sign')) {
    throw new CryptoParameterError(`${what} must be an HMAC SHA-256 key that allows "sign"`);
  }
}

/** HMAC-SHA256 of `data` under raw key bytes (at least one byte) or an HMAC CryptoKey. */
export async function hmacSha256(
  key: Uint8Array<ArrayBuffer> | CryptoKey,
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const subtle = globalThis.crypto.subtle;
  let cryptoKey: CryptoKey;
  if (key instanceof Uint8Array) {
    if (key.length === 0) throw new CryptoParameterError('HMAC key must not be empty');
    cryptoKey = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  } else {
    checkHmacKey(key);
    cryptoKey = key;
  }
  return new Uint8Array(await subtle.sign('HMAC', cryptoKey, data));
}
