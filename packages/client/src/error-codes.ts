/**
 * The error codes of `@bulwark/client` as types: a table of every code the SDK itself throws,
 * with its class, and the union of its error classes that narrows on `code` (as jose's
 * `AnyJOSEError`). docs/client.md, "Error codes", lists the same codes; a test keeps the two equal.
 */
import type { AnyCoreError } from '@bulwark/core';
import type { AttestationUnavailableError } from './attestation/provider.js';
import type {
  ConfigError,
  CorruptDataError,
  InvalidArgumentError,
  KeystoreError,
  KeystoreUnsupportedError,
  KeystoreValueTooLargeError,
} from './errors.js';
import type {
  FieldNotQueryableError,
  InvalidRecordError,
  ServerOnlyFieldError,
  UnknownCollectionError,
} from './store/errors.js';
import type {
  InsecureTransportError,
  NetworkError,
  NotSignedInError,
  PinMismatchError,
  ServerProblemError,
} from './transport/errors.js';
import type {
  BiometricUnavailableError,
  PasscodeRequiredError,
  VaultExistsError,
  VaultKeyMissingError,
  VaultLockedError,
  VaultNotInitializedError,
  VaultWipedError,
  WrongPasscodeError,
} from './vault/errors.js';
import type { WipeIncompleteError } from './wipe/errors.js';

/** The SDK's own classes, each with its literal code. */
type OwnClientError =
  | ConfigError
  | CorruptDataError
  | InvalidArgumentError
  | KeystoreError
  | KeystoreUnsupportedError
  | KeystoreValueTooLargeError
  | FieldNotQueryableError
  | InvalidRecordError
  | ServerOnlyFieldError
  | UnknownCollectionError
  | InsecureTransportError
  | NetworkError
  | NotSignedInError
  | PinMismatchError
  | BiometricUnavailableError
  | PasscodeRequiredError
  | VaultExistsError
  | VaultKeyMissingError
  | VaultLockedError
  | VaultNotInitializedError
  | VaultWipedError
  | WrongPasscodeError
  | WipeIncompleteError
  | AttestationUnavailableError;

/**
 * Every error the SDK throws on purpose: its own classes, the core errors it lets through
 * (`decryption_failed`, …), and `ServerProblemError`, whose `code` is the server's (docs/errors.md)
 * or one the SDK sets on the server's behalf (`invalid_policy`, `http_<status>`).
 *
 * @example
 * ```ts
 * function message(err: AnyClientError): string {
 *   if (err instanceof ServerProblemError) return `${err.status} ${err.code}`;
 *   switch (err.code) {
 *     case 'wrong_passcode': return `${err.attemptsLeft} attempts left`;
 *     case 'vault_wiped': return 'This device was erased.';
 *     default: return err.message;
 *   }
 * }
 * ```
 */
export type AnyClientError = OwnClientError | AnyCoreError | ServerProblemError;

/**
 * The codes the SDK throws itself, each with its class (the core codes it lets through are
 * `CORE_ERROR_CODES` of `@bulwark/core`).
 *
 * @example
 * ```ts
 * if (err instanceof BulwarkError && Object.hasOwn(CLIENT_ERROR_CODES, err.code)) report(err.code);
 * ```
 */
export const CLIENT_ERROR_CODES = {
  config_invalid: 'ConfigError',
  corrupt_data: 'CorruptDataError',
  invalid_argument: 'InvalidArgumentError',
  keystore_failed: 'KeystoreError',
  keystore_unsupported: 'KeystoreUnsupportedError',
  keystore_value_too_large: 'KeystoreValueTooLargeError',
  field_not_queryable: 'FieldNotQueryableError',
  invalid_record: 'InvalidRecordError',
  server_only_field: 'ServerOnlyFieldError',
  unknown_collection: 'UnknownCollectionError',
  insecure_transport: 'InsecureTransportError',
  network_error: 'NetworkError',
  not_signed_in: 'NotSignedInError',
  pin_mismatch: 'PinMismatchError',
  biometric_unavailable: 'BiometricUnavailableError',
  passcode_required: 'PasscodeRequiredError',
  vault_exists: 'VaultExistsError',
  vault_key_missing: 'VaultKeyMissingError',
  vault_locked: 'VaultLockedError',
  vault_not_initialized: 'VaultNotInitializedError',
  vault_wiped: 'VaultWipedError',
  wrong_passcode: 'WrongPasscodeError',
  wipe_incomplete: 'WipeIncompleteError',
  attestation_unavailable: 'AttestationUnavailableError',
  // Set by the SDK on a ServerProblemError: the server's signed policy does not verify.
  invalid_policy: 'ServerProblemError',
} as const satisfies Record<OwnClientError['code'] | 'invalid_policy', string>;

/**
 * A code the SDK throws itself.
 *
 * @example
 * ```ts
 * const code: ClientErrorCode = 'vault_locked';
 * ```
 */
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;
