/**
 * @bulwark/core/crypto: the field envelope (AES-256-GCM with an authenticated header and context),
 * data-key wrapping under keystore or passcode keys (PBKDF2, Argon2id), HKDF subkeys and the
 * blind index. WebCrypto only. Formats and security notes: docs/crypto.md.
 */
export {
  BLIND_INDEX_MAX_BYTES,
  BLIND_INDEX_MIN_BYTES,
  type BlindIndexOptions,
  blindIndex,
} from './blind-index.js';
export {
  bytesEqual,
  concatBytes,
  copyBytes,
  fromBase64,
  toBase64,
  utf8Decode,
  utf8Encode,
  zero,
} from './bytes.js';
export {
  BLIND_INDEX_INFO,
  type DataKeys,
  deriveDataKeys,
  FIELD_SEALING_INFO,
  generateDataKeyBytes,
  importDataKey,
} from './data-key.js';
export {
  type EncryptionContext,
  encodeContext,
  MAX_CONTEXT_ENTRIES,
  MAX_CONTEXT_KEY_BYTES,
  MAX_CONTEXT_VALUE_BYTES,
} from './envelope/context.js';
export { ALGORITHM_AES_256_GCM, ENVELOPE_FORMAT_V1, readEnvelopeKeyId } from './envelope/format.js';
export { type KeyLookup, Keyring } from './envelope/keyring.js';
export { open } from './envelope/open.js';
export { type SealOptions, seal } from './envelope/seal.js';
export { NIST_RANDOM_IV_LIMIT, SealingKey, type SealingKeyOptions } from './envelope/sealing-key.js';
export {
  CryptoParameterError,
  DecryptionError,
  KdfTooWeakError,
  KdfUnavailableError,
  KeyUsageLimitError,
} from './errors.js';
export {
  type Argon2idParameters,
  checkKdfParameters,
  type KdfFloors,
  MINIMUM_KDF_FLOORS,
  type PasscodeKdfParameters,
  type Pbkdf2Parameters,
  resolveKdfFloors,
} from './kdf/parameters.js';
export { encodePasscode, MAX_PASSCODE_BYTES } from './kdf/passcode.js';
export { derivePasscodeKey } from './kdf/passcode-key.js';
export { type RandomBytes, randomBytes } from './random.js';
export { readWrappedKeyHeader, WRAPPED_KEY_FORMAT_V1, type WrappedKeyInfo } from './wrap/format.js';
export {
  generateKeyEncryptionKey,
  type KeyEncryptionKeySpec,
  type UnwrapSecret,
} from './wrap/key-encryption-key.js';
export { rewrapDataKey } from './wrap/rewrap-data-key.js';
export { type UnwrapOptions, type UnwrappedDataKey, unwrapDataKey } from './wrap/unwrap-data-key.js';
export { type WrapOptions, wrapDataKey } from './wrap/wrap-data-key.js';
