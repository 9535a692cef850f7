/**
 * The canonical encoding of an encryption context: the caller's description of where a
 * ciphertext belongs (collection, record id, field, schema version, ...). It becomes part of the
 * AAD of the envelope and of the blind-index input, so it must be injective: two different
 * contexts never encode alike. Entries are sorted by the UTF-8 bytes of their keys, every key and
 * string is length-prefixed, and every value carries a type tag, so `{a: 'bc'}` and
 * `{ab: 'c'}`, or `'1'` and `1`, stay apart. Layout in docs/crypto.md, "Context encoding".
 */

import { CryptoParameterError } from '../errors.js';
import { ByteWriter, utf8 } from '../lib/bytes.js';

/**
 * Where a ciphertext belongs. Values are strings or safe integers.
 *
 * @example
 * ```ts
 * const context: EncryptionContext = { collection: 'patients', recordId: 'p-42', field: 'diagnosis', schemaVersion: 3 };
 * ```
 */
export type EncryptionContext = Readonly<Record<string, string | number>>;

/** Most entries in a context. */
export const MAX_CONTEXT_ENTRIES = 32;
/** Longest context key, in UTF-8 bytes. */
export const MAX_CONTEXT_KEY_BYTES = 128;
/** Longest context string value, in UTF-8 bytes. */
export const MAX_CONTEXT_VALUE_BYTES = 4096;

const TYPE_STRING = 0x01;
const TYPE_INTEGER = 0x02;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = (a[i] as number) - (b[i] as number);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

/**
 * Encodes a context canonically and injectively; refuses what it cannot encode that way
 * (non-objects, symbol keys, accessors, values other than strings and safe integers, lone
 * surrogates, oversized keys or values) with a `CryptoParameterError`.
 *
 * @example
 * ```ts
 * const aadTail = encodeContext({ collection: 'notes', recordId: 'n1', field: 'body', schemaVersion: 1 });
 * ```
 */
export function encodeContext(context: EncryptionContext): Uint8Array<ArrayBuffer> {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw new CryptoParameterError('encryption context must be a plain object');
  }
  const names = Reflect.ownKeys(context);
  if (names.length > MAX_CONTEXT_ENTRIES) {
    throw new CryptoParameterError(`encryption context has more than ${MAX_CONTEXT_ENTRIES} entries`);
  }
  const entries: Array<{ key: Uint8Array; value: string | number }> = [];
  for (const name of names) {
    if (typeof name !== 'string') throw new CryptoParameterError('encryption context keys must be strings');
    // Read own data properties only: a getter could answer differently on seal and on open.
    const descriptor = Object.getOwnPropertyDescriptor(context, name);
    if (descriptor === undefined || !('value' in descriptor)) {
      throw new CryptoParameterError('encryption context entries must be data properties');
    }
    const key = utf8(name, 'encryption context key');
    if (key.length === 0 || key.length > MAX_CONTEXT_KEY_BYTES) {
      throw new CryptoParameterError(
        `encryption context keys must be 1 to ${MAX_CONTEXT_KEY_BYTES} bytes of UTF-8`,
      );
    }
    const value: unknown = descriptor.value;
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isSafeInteger(value))) {
      throw new CryptoParameterError(
        `encryption context value of "${name}" must be a string or a safe integer`,
      );
    }
    entries.push({ key, value });
  }
  entries.sort((a, b) => compareBytes(a.key, b.key));

  const out = new ByteWriter().u8(entries.length);
  for (const { key, value } of entries) {
    out.u8(key.length).bytes(key);
    if (typeof value === 'string') {
      const bytes = utf8(value, 'encryption context value');
      if (bytes.length > MAX_CONTEXT_VALUE_BYTES) {
        throw new CryptoParameterError(
          `encryption context values must be at most ${MAX_CONTEXT_VALUE_BYTES} bytes of UTF-8`,
        );
      }
      out.u8(TYPE_STRING).u16(bytes.length).bytes(bytes);
    } else {
      // -0 is a safe integer equal to 0; it encodes as 0, the same value.
      out.u8(TYPE_INTEGER).i64(value);
    }
  }
  return out.finish();
}
