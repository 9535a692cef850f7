/**
 * The public surface of @bulwark/client: the runtime names of each entry point in package.json
 * `exports`, compared with the committed lists below, so that adding or removing an export is a
 * visible change in review, never a side effect (docs/README.md#public-surface). What the lists
 * hold: `createClient` and every piece it wires, each replaceable (keystores, vault, store and backends, files, secure items, transport, sync, wipe), with their errors; Node-only pieces in `./node`. Type-only exports are checked by the build of the packages that use them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SURFACE: Record<string, readonly string[]> = {
  '.': [
    'AttestationUnavailableError',
    'BackendVaultStorage',
    'BiometricUnavailableError',
    'BulwarkClient',
    'CLIENT_ERROR_CODES',
    'CapacitorSecureStorageKeystore',
    'CapgoAppAttestProvider',
    'ConfigError',
    'CorruptDataError',
    'DEFAULT_CHUNK_SIZE',
    'DeviceKey',
    'EncryptedFiles',
    'EncryptedStore',
    'ExpoAppAttestProvider',
    'ExpoPlayIntegrityProvider',
    'ExpoSecureStoreKeystore',
    'FieldNotQueryableError',
    'IndexedDbBackend',
    'IndexedDbDeviceKeyStorage',
    'IndexedDbFileStorage',
    'IndexedDbKeystore',
    'IndexedDbVaultStorage',
    'InsecureTransportError',
    'InvalidArgumentError',
    'InvalidRecordError',
    'KeystoreDeviceKeyStorage',
    'KeystoreError',
    'KeystoreUnsupportedError',
    'KeystoreValueTooLargeError',
    'MemoryBackend',
    'MemoryDeviceKeyStorage',
    'MemoryFileStorage',
    'MemoryKeystore',
    'MemoryReceiptOutbox',
    'MemorySessionStore',
    'MemoryVaultStorage',
    'NetworkError',
    'NotSignedInError',
    'OfflineGrace',
    'PagopaKeyAttestationProvider',
    'PasscodeRequiredError',
    'PinMismatchError',
    'ReactNativeKeychainKeystore',
    'SecureItems',
    'SecureItemsSessionStore',
    'ServerOnlyFieldError',
    'ServerProblemError',
    'SyncEngine',
    'Transport',
    'UnknownCollectionError',
    'Vault',
    'VaultExistsError',
    'VaultKeyMissingError',
    'VaultLockedError',
    'VaultNotInitializedError',
    'VaultWipedError',
    'WIPE_RECEIPT_TYP',
    'WebAuthnPrfKeystore',
    'WebStorageReceiptOutbox',
    'WipeIncompleteError',
    'Wiper',
    'WrongPasscodeError',
    'attestDevice',
    'createClient',
    'createClientWith',
    'createDpopProof',
    'decryptFile',
    'documentSignals',
    'encryptFile',
    'fromSchema',
    'isLoopbackHost',
    'loadOrCreateDeviceKey',
    'noAttestation',
    'protectionReport',
    'readFileKeyId',
    'requestHashOf',
    'requestWithStepUp',
    'sendPendingWipeReceipt',
    'signInWithLdap',
    'signInWithOidc',
    'signInWithSaml',
    'stepUpHeaders',
    'webCryptoSealer',
  ],
  './node': [
    'DirectoryFileStorage',
    'FileKeystore',
    'FileReceiptOutbox',
    'FileVaultStorage',
    'SqliteBackend',
    'createClient',
    'createPinnedFetch',
    'nodeSealer',
    'pinOptionsFromConfig',
    'spkiPin',
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

describe('@bulwark/client public surface', () => {
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
