/**
 * Seals a plaintext into an envelope: AES-256-GCM under the key's id, a fresh random 96-bit IV,
 * AAD = header || canonical context. See docs/crypto.md, "Envelope" and "IV policy".
 */

import { CryptoParameterError } from '../errors.js';
import { aesGcmEncrypt, TAG_BITS } from '../lib/aes-gcm.js';
import { concat } from '../lib/bytes.js';
import { drawIv } from '../lib/iv.js';
import type { RandomBytes } from '../random.js';
import { type EncryptionContext, encodeContext } from './context.js';
import { envelopeHeader } from './format.js';
import type { SealingKey } from './sealing-key.js';

/**
 * Options of {@link seal}.
 *
 * @example
 * ```ts
 * const options: SealOptions = {}; // production: always the default randomness
 * ```
 */
export interface SealOptions {
  /** Source of the IV. Tests only: the default draws fresh CSPRNG bytes for every message. */
  readonly random?: RandomBytes;
}

/**
 * Encrypts `plaintext` for the place `context` describes. The same context must be given to
 * `open`; any other context fails as if the key were wrong.
 *
 * @example
 * ```ts
 * const context = { collection: 'patients', recordId: 'p-42', field: 'diagnosis', schemaVersion: 3 };
 * const envelope = await seal(keyring.primary, new TextEncoder().encode('J45.909'), context);
 * ```
 */
export async function seal(
  key: SealingKey,
  plaintext: Uint8Array<ArrayBuffer>,
  context: EncryptionContext,
  options: SealOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  if (!(plaintext instanceof Uint8Array)) throw new CryptoParameterError('plaintext must be a Uint8Array');
  const header = envelopeHeader(key.id);
  const additionalData = concat(header, encodeContext(context));
  key.reserveSeal();
  const iv = drawIv(options.random);
  const { ciphertext, tag } = await aesGcmEncrypt({
    key: key.key,
    iv,
    additionalData,
    tagLength: TAG_BITS,
    plaintext,
  });
  return concat(header, iv, ciphertext, tag);
}
