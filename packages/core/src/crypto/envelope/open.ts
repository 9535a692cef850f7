/**
 * Opens an envelope: finds its key by key id, rebuilds the AAD from the authenticated header and
 * the caller's context, and decrypts. Every failure that concerns the data (unknown key id, wrong
 * key, other context, truncation, any changed byte) is the one generic `DecryptionError`.
 */

import { DecryptionError } from '../errors.js';
import { aesGcmDecrypt, TAG_BITS } from '../lib/aes-gcm.js';
import { concat } from '../lib/bytes.js';
import { type EncryptionContext, encodeContext } from './context.js';
import { parseEnvelope } from './format.js';
import type { KeyLookup } from './keyring.js';

/**
 * Decrypts an envelope sealed for `context` under any key `keys` knows.
 *
 * @example
 * ```ts
 * const plaintext = await open(keyring, envelope, {
 *   collection: 'patients', recordId: 'p-42', field: 'diagnosis', schemaVersion: 3,
 * });
 * ```
 */
export async function open(
  keys: KeyLookup,
  envelope: Uint8Array<ArrayBuffer>,
  context: EncryptionContext,
): Promise<Uint8Array<ArrayBuffer>> {
  const encodedContext = encodeContext(context);
  const parsed = parseEnvelope(envelope);
  const key = await keys.get(parsed.keyId);
  if (key === undefined) throw new DecryptionError();
  return aesGcmDecrypt({
    key: key.key,
    iv: parsed.iv,
    additionalData: concat(parsed.header, encodedContext),
    tagLength: TAG_BITS,
    ciphertext: parsed.ciphertext,
    tag: parsed.tag,
  });
}
