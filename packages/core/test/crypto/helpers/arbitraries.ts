/** fast-check arbitraries for encryption contexts. */
import fc from 'fast-check';
import type { EncryptionContext } from '../../../src/crypto/index.js';

/** Well-formed Unicode strings (no lone surrogates), including astral characters. */
export const unicodeString = (maxLength: number, minLength = 0) =>
  fc.string({ unit: 'grapheme', minLength, maxLength });

export const contextValue = fc.oneof(
  unicodeString(24),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  // Small values make near-collisions between keys, strings and numbers likely.
  fc.constantFrom('', '0', '1', 'a', 'ab', 0, 1, -1),
);

export const contextKey = fc.oneof(
  unicodeString(12, 1),
  fc.constantFrom('a', 'ab', 'b', 'recordId', 'field', '__proto__'),
);

export const arbitraryContext: fc.Arbitrary<EncryptionContext> = fc.dictionary(contextKey, contextValue, {
  maxKeys: 6,
});

/** A realistic field context. */
export const fieldContext = fc.record({
  collection: fc.constantFrom('patients', 'visits', 'staff'),
  recordId: fc.oneof(fc.uuid(), fc.constantFrom('1', '2', 'p-42')),
  field: fc.constantFrom('diagnosis', 'notes', 'email'),
  schemaVersion: fc.integer({ min: 1, max: 5 }),
});

/** Own string keys and values of a context, for comparing contexts regardless of prototype. */
export function entriesOf(context: EncryptionContext): Array<[string, string | number]> {
  return Object.keys(context)
    .sort()
    .map((k) => [k, context[k] as string | number]);
}
