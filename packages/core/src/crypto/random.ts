/**
 * The source of randomness for IVs, salts and data keys. Every function that needs randomness
 * takes it as an option defaulting to `randomBytes`, the platform CSPRNG
 * (`crypto.getRandomValues`). Tests pass a fixed source to pin golden vectors; production code
 * never passes one, so every IV and salt is fresh.
 */

/**
 * Returns `length` bytes. Implementations other than {@link randomBytes} exist for tests only.
 *
 * @example
 * ```ts
 * const fixed: RandomBytes = (length) => new Uint8Array(length).fill(7); // tests only
 * ```
 */
export type RandomBytes = (length: number) => Uint8Array<ArrayBuffer>;

// getRandomValues refuses requests above 65,536 bytes, so larger ones are filled in chunks.
const MAX_CHUNK = 65_536;

/**
 * Fresh bytes from the platform CSPRNG (`crypto.getRandomValues`).
 *
 * @example
 * ```ts
 * const salt = randomBytes(16);
 * ```
 */
export const randomBytes: RandomBytes = (length) => {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + MAX_CHUNK)));
  }
  return out;
};
