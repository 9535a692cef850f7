/**
 * Key ids name keys inside the binary formats (envelope header, wrapped-key header). They are
 * public and short: 1 to 64 characters of `A-Z a-z 0-9 . _ : -`, so that one character is one
 * byte and there is nothing to normalise.
 */
import { CryptoParameterError } from '../errors.js';

/** Longest key id, in bytes (= characters). */
export const MAX_KEY_ID_LENGTH = 64;

const KEY_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** True when `id` is a well-formed key id. */
export function isKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

/** Refuses a malformed key id with a `CryptoParameterError`. */
export function checkKeyId(id: string, what = 'key id'): void {
  if (typeof id !== 'string' || !isKeyId(id)) {
    throw new CryptoParameterError(`${what} must be 1 to 64 characters of A-Z a-z 0-9 . _ : -`);
  }
}

/** ASCII bytes of a key id that {@link checkKeyId} accepted. */
export function keyIdBytes(id: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(id.length);
  for (let i = 0; i < id.length; i++) out[i] = id.charCodeAt(i);
  return out;
}

/** The key id encoded in `bytes`, or undefined when they do not form one. */
export function keyIdFromBytes(bytes: Uint8Array): string | undefined {
  const id = String.fromCharCode(...bytes);
  return isKeyId(id) ? id : undefined;
}
