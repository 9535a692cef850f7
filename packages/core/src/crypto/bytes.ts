/**
 * Byte helpers every Bulwark package shares: strict base64 (for string-only keystores and
 * storage), UTF-8, copy, concatenation, constant-time comparison and zeroing. Web APIs only, so
 * that the browser and React Native paths need no polyfill beyond WebCrypto.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/**
 * Standard padded base64 of `bytes`.
 *
 * @example
 * ```ts
 * toBase64(new Uint8Array([1, 2, 3])); // 'AQID'
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      ALPHABET.charAt(n >>> 18) +
      ALPHABET.charAt((n >>> 12) & 63) +
      ALPHABET.charAt((n >>> 6) & 63) +
      ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += `${ALPHABET.charAt(n >>> 18)}${ALPHABET.charAt((n >>> 12) & 63)}==`;
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += `${ALPHABET.charAt(n >>> 18)}${ALPHABET.charAt((n >>> 12) & 63)}${ALPHABET.charAt((n >>> 6) & 63)}=`;
  }
  return out;
}

/**
 * Decodes strict padded base64; `undefined` for anything else, including non-canonical text
 * (stray bits in the last symbol), so that one value has one text.
 *
 * @example
 * ```ts
 * fromBase64('AQID'); // Uint8Array [1, 2, 3]
 * fromBase64('AQI'); // undefined
 * ```
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (typeof text !== 'string' || text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const code = text.charCodeAt(i + j);
      const isPad = code === 61 && i + j >= text.length - padding;
      const v = isPad ? 0 : code < 128 ? (LOOKUP[code] as number) : -1;
      if (v < 0) return undefined;
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >>> 16) & 255;
    if (o < out.length) out[o++] = (n >>> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return toBase64(out) === text ? out : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 bytes of a string.
 *
 * @example
 * ```ts
 * const bytes = utf8Encode('héllo');
 * ```
 */
export function utf8Encode(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

/**
 * Strict UTF-8 decoding; throws a `TypeError` on malformed input.
 *
 * @example
 * ```ts
 * utf8Decode(utf8Encode('héllo')); // 'héllo'
 * ```
 */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * A fresh copy backed by its own ArrayBuffer, as WebCrypto inputs are typed (and because
 * WebCrypto and callers may hold the original).
 *
 * @example
 * ```ts
 * const key = copyBytes(view.subarray(0, 32));
 * ```
 */
export function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/**
 * Overwrites key material that is no longer needed; best effort in a garbage-collected runtime.
 *
 * @example
 * ```ts
 * zero(rawKey);
 * ```
 */
export function zero(bytes: Uint8Array | undefined): void {
  bytes?.fill(0);
}

/**
 * Concatenates byte arrays into a fresh array.
 *
 * @example
 * ```ts
 * concatBytes(iv, ciphertext);
 * ```
 */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Constant-time comparison of two byte arrays of public length.
 *
 * @example
 * ```ts
 * if (!bytesEqual(expectedTag, tag)) throw new DecryptionError();
 * ```
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
