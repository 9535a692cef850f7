/**
 * Error base class of Bulwark. Every failure is a subclass with a stable `code` that callers
 * switch on; the same codes appear as the `code` member of HTTP problem+json responses and in
 * `docs/errors.md`.
 */

import type {
  CryptoParameterError,
  DecryptionError,
  KdfTooWeakError,
  KdfUnavailableError,
  KeyUsageLimitError,
} from './crypto/errors.js';
import type { SchemaDefinitionError, ValidationError } from './schema/errors.js';

/**
 * Base class of every error Bulwark throws on purpose.
 *
 * @example
 * ```ts
 * try {
 *   await open(keyring, envelope, context);
 * } catch (err) {
 *   if (err instanceof BulwarkError && err.code === 'decryption_failed') showCorruptedRecord();
 * }
 * ```
 */
export class BulwarkError<C extends string = string> extends Error {
  /**
   * Stable, machine-readable error code. Each subclass fixes it to its literal, so that a union of
   * error classes (`AnyCoreError`, `AnyClientError`, `AnyServerError`) narrows on `code`.
   */
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Every error `@bulwark/core` throws on purpose, as a union that narrows on `code` (as jose's
 * `AnyJOSEError`).
 *
 * @example
 * ```ts
 * function explain(err: AnyCoreError): string {
 *   switch (err.code) {
 *     case 'decryption_failed': return 'unreadable';
 *     case 'kdf_too_weak': return 'rewrap the key';
 *     default: return err.message;
 *   }
 * }
 * ```
 */
export type AnyCoreError =
  | DecryptionError
  | CryptoParameterError
  | KdfTooWeakError
  | KdfUnavailableError
  | KeyUsageLimitError
  | SchemaDefinitionError
  | ValidationError;

/**
 * The codes of {@link AnyCoreError}, each with its class: the one table the docs are checked
 * against (docs/client.md, "Error codes"; docs/errors.md).
 *
 * @example
 * ```ts
 * const known = Object.hasOwn(CORE_ERROR_CODES, err.code);
 * ```
 */
export const CORE_ERROR_CODES = {
  decryption_failed: 'DecryptionError',
  crypto_parameters: 'CryptoParameterError',
  kdf_too_weak: 'KdfTooWeakError',
  kdf_unavailable: 'KdfUnavailableError',
  key_usage_limit: 'KeyUsageLimitError',
  schema_definition_invalid: 'SchemaDefinitionError',
  validation_failed: 'ValidationError',
} as const satisfies Record<AnyCoreError['code'], string>;

/**
 * A code of `@bulwark/core`.
 *
 * @example
 * ```ts
 * const code: CoreErrorCode = 'decryption_failed';
 * ```
 */
export type CoreErrorCode = keyof typeof CORE_ERROR_CODES;
