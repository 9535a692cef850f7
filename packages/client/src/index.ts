/**
 * @bulwark/client: the device half of Bulwark for browsers, WebViews, React Native (with a
 * WebCrypto polyfill) and Node. Web APIs only; Node-only pieces are in `@bulwark/client/node`.
 * What each platform really protects: docs/platforms.md.
 */

export type { RandomBytes } from '@bulwark/core/crypto';
export {
  type AttestationResult,
  attestDevice,
  requestWithStepUp,
  stepUpHeaders,
} from './attestation/attest-device.js';
export {
  type CapgoAppAttestPlugin,
  CapgoAppAttestProvider,
  type CapgoAttestationFormat,
} from './attestation/capgo-app-attest.js';
export {
  ExpoAppAttestProvider,
  type ExpoAppIntegrityModule,
  ExpoPlayIntegrityProvider,
  type KeyIdStore,
} from './attestation/expo-app-integrity.js';
export {
  type PagopaIntegrityModule,
  type PagopaKeyAttestationOptions,
  PagopaKeyAttestationProvider,
} from './attestation/pagopa-integrity.js';
export {
  type AttestationEvidence,
  type AttestationProvider,
  AttestationUnavailableError,
  noAttestation,
  requestHashOf,
} from './attestation/provider.js';
export {
  type BrowserClientOptions,
  BulwarkClient,
  type ClientOptions,
  type ClientPieces,
  type Credentials,
  createClient,
  createClientWith,
  type MobileClientOptions,
  type SignInResult,
  type SyncResult,
} from './client/create-client.js';
export { type AnyClientError, CLIENT_ERROR_CODES, type ClientErrorCode } from './error-codes.js';
export {
  ConfigError,
  CorruptDataError,
  InvalidArgumentError,
  KeystoreError,
  KeystoreUnsupportedError,
  KeystoreValueTooLargeError,
} from './errors.js';
export {
  DEFAULT_CHUNK_SIZE,
  decryptFile,
  encryptFile,
  type FileCryptoOptions,
  readFileKeyId,
} from './files/chunked.js';
export {
  type AttachmentRecords,
  EncryptedFiles,
  type EncryptedFilesOptions,
} from './files/encrypted-files.js';
export { IndexedDbFileStorage } from './files/indexeddb-storage.js';
export { type FileStorage, MemoryFileStorage } from './files/storage.js';
export {
  CapacitorSecureStorageKeystore,
  type CapacitorSecureStoragePlugin,
} from './keystore/capacitor-secure-storage.js';
export {
  ExpoSecureStoreKeystore,
  type ExpoSecureStoreModule,
  type ExpoSecureStoreOptions,
} from './keystore/expo-secure-store.js';
export { IndexedDbKeystore, type IndexedDbKeystoreOptions } from './keystore/indexeddb.js';
export type {
  Keystore,
  KeystoreProtection,
  KeystoreReadOptions,
  KeystoreWriteOptions,
  SecretSealing,
} from './keystore/keystore.js';
export type { StringKeystoreOptions } from './keystore/lib/string-keystore.js';
export { MemoryKeystore } from './keystore/memory.js';
export {
  ReactNativeKeychainKeystore,
  type ReactNativeKeychainModule,
} from './keystore/react-native-keychain.js';
export {
  type WebAuthnCredentials,
  WebAuthnPrfKeystore,
  type WebAuthnPrfKeystoreOptions,
} from './keystore/webauthn-prf.js';
export type { Clock } from './lib/clock.js';
export {
  type Platform,
  type ProtectionInput,
  type ProtectionItem,
  type ProtectionReport,
  protectionReport,
} from './protection/report.js';
export { SecureItems } from './secure-items/secure-items.js';
export type { StoreBackend, StoredRecord, WriteOp } from './store/backend.js';
export type { CollectionSpec, FieldClass, FieldSpec, ValidationProblem } from './store/collection.js';
export {
  FieldNotQueryableError,
  InvalidRecordError,
  ServerOnlyFieldError,
  UnknownCollectionError,
} from './store/errors.js';
export { IndexedDbBackend } from './store/indexeddb-backend.js';
export type { StoreRecord } from './store/lib/codec.js';
export { MemoryBackend } from './store/memory-backend.js';
export { type FromSchemaOptions, fromSchema } from './store/schema.js';
export { type Sealer, webCryptoSealer } from './store/sealer.js';
export { EncryptedStore, type RecordRef, type RemovedRecords, type StoreOptions } from './store/store.js';
export type {
  DeviceRecord,
  SchemaCollectionSpec,
  SchemaCollections,
  SchemaOfSpecs,
  StoreCollectionName,
  StoreQuery,
  UntypedSchema,
} from './store/typed.js';
export { BackendVaultStorage } from './store/vault-storage.js';
export type {
  PulledChange,
  PullResponse,
  PushMutation,
  PushResponse,
  PushResult,
  RejectionIssue,
} from './sync/protocol.js';
export {
  type Conflict,
  type PullReport,
  type PushReport,
  type Rejection,
  SyncEngine,
  type SyncOptions,
} from './sync/sync-engine.js';
export {
  DeviceKey,
  type DeviceKeyStorage,
  IndexedDbDeviceKeyStorage,
  KeystoreDeviceKeyStorage,
  loadOrCreateDeviceKey,
  MemoryDeviceKeyStorage,
} from './transport/device-key.js';
export { createDpopProof, type DpopInput } from './transport/dpop.js';
export {
  InsecureTransportError,
  NetworkError,
  NotSignedInError,
  PinMismatchError,
  ServerProblemError,
} from './transport/errors.js';
export {
  type BrowserSignInInput,
  type FederatedSignInInput,
  type RedirectHandler,
  signInWithLdap,
  signInWithOidc,
  signInWithSaml,
} from './transport/federated.js';
export type { PostureProvider, PostureReport } from './transport/posture.js';
export {
  MemorySessionStore,
  SecureItemsSessionStore,
  type SessionStore,
  type StoredSession,
} from './transport/session.js';
export {
  type DeviceSettings,
  type LoginInput,
  type PasskeyAssertionResponse,
  type PasskeyRequestOptions,
  type PasskeyTransport,
  Transport,
  type TransportOptions,
} from './transport/transport.js';
export { isLoopbackHost } from './transport/url-policy.js';
export {
  type ActivitySource,
  type AppState,
  type AppStateSource,
  type AutoLockPolicy,
  documentSignals,
} from './vault/auto-lock.js';
export {
  BiometricUnavailableError,
  PasscodeRequiredError,
  VaultExistsError,
  VaultKeyMissingError,
  VaultLockedError,
  VaultNotInitializedError,
  VaultWipedError,
  WrongPasscodeError,
} from './vault/errors.js';
export { IndexedDbVaultStorage } from './vault/indexeddb-storage.js';
export { MemoryVaultStorage, type VaultStorage } from './vault/storage.js';
export { Vault, type VaultKeys, type VaultOptions, type VaultStatus } from './vault/vault.js';
export { WipeIncompleteError } from './wipe/errors.js';
export { OfflineGrace, type OfflineGraceOptions, type OfflineGraceStatus } from './wipe/offline-grace.js';
export {
  type KeyValueStorage,
  MemoryReceiptOutbox,
  type PendingReceiptOutcome,
  type ReceiptOutbox,
  sendPendingWipeReceipt,
  WebStorageReceiptOutbox,
} from './wipe/receipt-outbox.js';
export {
  type Destroyable,
  WIPE_RECEIPT_TYP,
  type WipeReason,
  type WipeResult,
  Wiper,
  type WiperOptions,
  type WipeTargets,
} from './wipe/wiper.js';
