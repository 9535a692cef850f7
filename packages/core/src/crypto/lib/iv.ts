/**
 * The IV generator of the envelope and the key wrap: 96 fresh bits from the randomness source,
 * which is the platform CSPRNG unless a test pins it (docs/crypto.md, "IV policy").
 */
import { CryptoParameterError } from '../errors.js';
import { type RandomBytes, randomBytes } from '../random.js';
import { IV_BYTES } from './aes-gcm.js';

/** Draws one 12-byte IV. */
export function drawIv(random: RandomBytes = randomBytes): Uint8Array<ArrayBuffer> {
  const iv = random(IV_BYTES);
  if (!(iv instanceof Uint8Array) || iv.length !== IV_BYTES) {
    throw new CryptoParameterError('random source must return the requested 12 bytes');
  }
  // A copy, so that a source that reuses its buffer cannot change an IV after the fact.
  return new Uint8Array(iv);
}
