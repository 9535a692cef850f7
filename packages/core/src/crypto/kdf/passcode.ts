/**
 * The one way a passcode becomes bytes: Unicode NFKC, then UTF-8. NFKC makes the same passcode
 * typed on different keyboards or input methods (full-width digits, ligatures, composed or
 * decomposed accents) derive the same key. Pinned by a golden vector in the tests; changing it
 * would lock every user out. See docs/crypto.md, "Passcode encoding".
 */
import { CryptoParameterError } from '../errors.js';
import { utf8 } from '../lib/bytes.js';

/** Longest encoded passcode, in bytes. */
export const MAX_PASSCODE_BYTES = 4096;

/**
 * UTF-8 bytes of the NFKC form of `passcode`. Refuses an empty passcode, a lone surrogate and
 * more than 4096 bytes with a `CryptoParameterError`.
 *
 * @example
 * ```ts
 * encodePasscode('ＡＢ１'); // the bytes of 'AB1'
 * ```
 */
export function encodePasscode(passcode: string): Uint8Array<ArrayBuffer> {
  if (typeof passcode !== 'string') throw new CryptoParameterError('passcode must be a string');
  const bytes = utf8(passcode.normalize('NFKC'), 'passcode');
  if (bytes.length === 0) throw new CryptoParameterError('passcode must not be empty');
  if (bytes.length > MAX_PASSCODE_BYTES) {
    throw new CryptoParameterError(`passcode must be at most ${MAX_PASSCODE_BYTES} bytes of UTF-8`);
  }
  return bytes;
}
