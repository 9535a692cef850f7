/**
 * Blind index: a keyed hash of a field's normalised value, stored beside the field's envelope
 * so that a store or server can find records whose field equals a value without decrypting.
 * HMAC-SHA256 under its own subkey, truncated to 16 bytes by default. It reveals which records
 * share a value; docs/crypto.md, "Blind index", says what that leaks.
 */
import { type EncryptionContext, encodeContext } from './envelope/context.js';
import { CryptoParameterError } from './errors.js';
import { concat } from './lib/bytes.js';
import { checkHmacKey, hmacSha256 } from './lib/hmac.js';

/** Shortest and longest blind index, in bytes. */
export const BLIND_INDEX_MIN_BYTES = 8;
export const BLIND_INDEX_MAX_BYTES = 32;

/**
 * Options of {@link blindIndex}.
 *
 * @example
 * ```ts
 * const options: BlindIndexOptions = { length: 16, caseInsensitive: true };
 * ```
 */
export interface BlindIndexOptions {
  /** Output bytes, 8 to 32. Default 16. */
  readonly length?: number;
  /** Lower-case strings (after NFKC) so that lookups ignore case. Default false. */
  readonly caseInsensitive?: boolean;
}

function normalise(value: string | number, caseInsensitive: boolean): string | number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new CryptoParameterError('blind index value must be a safe integer');
    return value;
  }
  if (typeof value !== 'string')
    throw new CryptoParameterError('blind index value must be a string or integer');
  const nfkc = value.normalize('NFKC');
  return caseInsensitive ? nfkc.toLowerCase().normalize('NFKC') : nfkc;
}

/**
 * The blind index of `value` in the column `scope` names. The scope must not contain the record
 * id (then equal values would no longer match); `{ collection, field }` is typical. Values
 * are NFKC-normalised, so visually identical input from different keyboards matches.
 *
 * @example
 * ```ts
 * const index = await blindIndex(blindIndexKey, 'Ada@Example.org', { collection: 'patients', field: 'email' }, { caseInsensitive: true });
 * ```
 */
export async function blindIndex(
  key: CryptoKey,
  value: string | number,
  scope: EncryptionContext,
  options: BlindIndexOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  checkHmacKey(key, 'blind index key');
  const length = options.length ?? 16;
  if (!Number.isSafeInteger(length) || length < BLIND_INDEX_MIN_BYTES || length > BLIND_INDEX_MAX_BYTES) {
    throw new CryptoParameterError(
      `blind index length must be ${BLIND_INDEX_MIN_BYTES} to ${BLIND_INDEX_MAX_BYTES} bytes`,
    );
  }
  // The value is encoded as a one-entry context: length-prefixed and type-tagged, so the input
  // scope || value is unambiguous and '1' and 1 differ.
  const input = concat(
    encodeContext(scope),
    encodeContext({ value: normalise(value, options.caseInsensitive ?? false) }),
  );
  const mac = await hmacSha256(key, input);
  return mac.slice(0, length);
}
