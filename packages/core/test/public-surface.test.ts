/**
 * The public surface of @bulwark/core: the runtime names of each entry point in package.json
 * `exports`, compared with the committed lists below, so that adding or removing an export is a
 * visible change in review, never a side effect (docs/README.md#public-surface). What the lists
 * hold: the schema DSL and validator, the crypto envelope and key wrapping, the wire protocol types and the error base class; the root entry re-exports `./crypto` and `./schema` for convenience. Type-only exports are checked by the build of the packages that use them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SURFACE: Record<string, readonly string[]> = {
  '.': [
    'ALGORITHM_AES_256_GCM',
    'ANDROID_EMULATOR_HOST',
    'BLIND_INDEX_INFO',
    'BLIND_INDEX_MAX_BYTES',
    'BLIND_INDEX_MIN_BYTES',
    'BulwarkError',
    'CORE_ERROR_CODES',
    'CryptoParameterError',
    'DEFAULT_ARRAY_MAX_ITEMS',
    'DEFAULT_MAX_ISSUES',
    'DEFAULT_STRING_MAX_LENGTH',
    'DecryptionError',
    'ENVELOPE_FORMAT_V1',
    'EVERY_ITEM',
    'FIELD_SEALING_INFO',
    'KdfTooWeakError',
    'KdfUnavailableError',
    'KeyUsageLimitError',
    'Keyring',
    'MAX_ARRAY_MAX_ITEMS',
    'MAX_CONTEXT_ENTRIES',
    'MAX_CONTEXT_KEY_BYTES',
    'MAX_CONTEXT_VALUE_BYTES',
    'MAX_DECLARATION_DEPTH',
    'MAX_DESCRIPTION_LENGTH',
    'MAX_ENUM_VALUES',
    'MAX_ENUM_VALUE_LENGTH',
    'MAX_FIELDS_PER_OBJECT',
    'MAX_IDENTIFIER_LENGTH',
    'MAX_MAX_ISSUES',
    'MAX_PASSCODE_BYTES',
    'MAX_PATTERN_INPUT_LENGTH',
    'MAX_REPORTED_KEY_LENGTH',
    'MAX_STRING_MAX_LENGTH',
    'MINIMUM_KDF_FLOORS',
    'NIST_RANDOM_IV_LIMIT',
    'POLICY_TYP',
    'ReasonCode',
    'SYSTEM_FIELDS',
    'SchemaDefinitionError',
    'SealingKey',
    'ValidationError',
    'WIPE_RECEIPT_TYP',
    'WRAPPED_KEY_FORMAT_V1',
    'assertValid',
    'blindIndex',
    'bytesEqual',
    'checkKdfParameters',
    'collection',
    'concatBytes',
    'copyBytes',
    'defineSchema',
    'deriveDataKeys',
    'derivePasscodeKey',
    'deviceView',
    'encodeContext',
    'encodePasscode',
    'fromBase64',
    'generateDataKeyBytes',
    'generateKeyEncryptionKey',
    'importDataKey',
    'isAndroidEmulatorHost',
    'isCollection',
    'isDateTime',
    'isLoopbackHost',
    'open',
    'randomBytes',
    'readEnvelopeKeyId',
    'readWrappedKeyHeader',
    'resolveKdfFloors',
    'rewrapDataKey',
    'seal',
    'sensitivePaths',
    'serverOnlyPaths',
    't',
    'toBase64',
    'toJsonSchema',
    'unwrapDataKey',
    'utf8Decode',
    'utf8Encode',
    'validate',
    'wrapDataKey',
    'zero',
  ],
  './crypto': [
    'ALGORITHM_AES_256_GCM',
    'BLIND_INDEX_INFO',
    'BLIND_INDEX_MAX_BYTES',
    'BLIND_INDEX_MIN_BYTES',
    'CryptoParameterError',
    'DecryptionError',
    'ENVELOPE_FORMAT_V1',
    'FIELD_SEALING_INFO',
    'KdfTooWeakError',
    'KdfUnavailableError',
    'KeyUsageLimitError',
    'Keyring',
    'MAX_CONTEXT_ENTRIES',
    'MAX_CONTEXT_KEY_BYTES',
    'MAX_CONTEXT_VALUE_BYTES',
    'MAX_PASSCODE_BYTES',
    'MINIMUM_KDF_FLOORS',
    'NIST_RANDOM_IV_LIMIT',
    'SealingKey',
    'WRAPPED_KEY_FORMAT_V1',
    'blindIndex',
    'bytesEqual',
    'checkKdfParameters',
    'concatBytes',
    'copyBytes',
    'deriveDataKeys',
    'derivePasscodeKey',
    'encodeContext',
    'encodePasscode',
    'fromBase64',
    'generateDataKeyBytes',
    'generateKeyEncryptionKey',
    'importDataKey',
    'open',
    'randomBytes',
    'readEnvelopeKeyId',
    'readWrappedKeyHeader',
    'resolveKdfFloors',
    'rewrapDataKey',
    'seal',
    'toBase64',
    'unwrapDataKey',
    'utf8Decode',
    'utf8Encode',
    'wrapDataKey',
    'zero',
  ],
  './schema': [
    'DEFAULT_ARRAY_MAX_ITEMS',
    'DEFAULT_MAX_ISSUES',
    'DEFAULT_STRING_MAX_LENGTH',
    'EVERY_ITEM',
    'MAX_ARRAY_MAX_ITEMS',
    'MAX_DECLARATION_DEPTH',
    'MAX_DESCRIPTION_LENGTH',
    'MAX_ENUM_VALUES',
    'MAX_ENUM_VALUE_LENGTH',
    'MAX_FIELDS_PER_OBJECT',
    'MAX_IDENTIFIER_LENGTH',
    'MAX_MAX_ISSUES',
    'MAX_PATTERN_INPUT_LENGTH',
    'MAX_REPORTED_KEY_LENGTH',
    'MAX_STRING_MAX_LENGTH',
    'ReasonCode',
    'SYSTEM_FIELDS',
    'SchemaDefinitionError',
    'ValidationError',
    'assertValid',
    'collection',
    'defineSchema',
    'deviceView',
    'isCollection',
    'isDateTime',
    'sensitivePaths',
    'serverOnlyPaths',
    't',
    'toJsonSchema',
    'validate',
  ],
  './errors': ['BulwarkError', 'CORE_ERROR_CODES'],
  './protocol': [
    'ANDROID_EMULATOR_HOST',
    'POLICY_TYP',
    'WIPE_RECEIPT_TYP',
    'isAndroidEmulatorHost',
    'isLoopbackHost',
  ],
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string>>;
};

/** The source file behind an entry point (`./dist/x/index.js` → `src/x/index.ts`). */
function sourceOf(entry: string): string {
  const conditions = pkg.exports[entry] ?? {};
  const target = conditions.default ?? conditions.node ?? '';
  expect(target, entry).toMatch(/^\.\/dist\/.+\.js$/);
  return fileURLToPath(
    new URL(`../${target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')}`, import.meta.url),
  );
}

describe('@bulwark/core public surface', () => {
  it('has a committed list for every entry point and none for an entry that does not exist', () => {
    expect(Object.keys(SURFACE).sort()).toEqual(Object.keys(pkg.exports).sort());
  });

  for (const [entry, names] of Object.entries(SURFACE)) {
    it(`${entry} exports exactly its committed list`, async () => {
      expect(names, 'keep the committed list sorted').toEqual([...names].sort());
      const module = (await import(sourceOf(entry))) as Record<string, unknown>;
      expect(Object.keys(module).sort()).toEqual(names);
    });
  }
});
