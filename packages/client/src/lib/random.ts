/**
 * The randomness every SDK component takes as an option. The default is the platform CSPRNG;
 * tests pass a deterministic source only where a golden value needs it.
 */

/** Returns `length` fresh random bytes. */
export type RandomBytes = (length: number) => Uint8Array<ArrayBuffer>;

const MAX_CHUNK = 65_536;

/** `crypto.getRandomValues`, chunked to its 64 KiB limit. */
export const defaultRandom: RandomBytes = (length) => {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + MAX_CHUNK)));
  }
  return out;
};
