/**
 * Opening an envelope read back from storage: a malformed envelope (a changed format or
 * algorithm byte) is tampering like any other, so it becomes the same generic
 * `decryption_failed` instead of core's `crypto_parameters`, which is meant for caller bugs.
 */
import {
  CryptoParameterError,
  DecryptionError,
  type EncryptionContext,
  type Keyring,
} from '@bulwark/core/crypto';
import type { Sealer } from '../store/sealer.js';

/** Opens a stored envelope; any failure is `decryption_failed`. */
export async function openOrFail(
  sealer: Sealer,
  keyring: Keyring,
  envelope: Uint8Array<ArrayBuffer>,
  context: EncryptionContext,
): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await sealer.open(keyring, envelope, context);
  } catch (err) {
    if (err instanceof CryptoParameterError) throw new DecryptionError();
    throw err;
  }
}
