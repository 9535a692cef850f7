/**
 * The failures of `@bulwark/core/crypto`, one class each with a stable `code`.
 *
 * Opening data that does not authenticate is deliberately uninformative: wrong key, wrong
 * context, unknown key id, truncation and tampering all raise the same `DecryptionError` with
 * the same message, so that an attacker probing a device or a server learns nothing from the
 * error. Inputs outside the supported profile are a caller bug, not an attack on secret data,
 * so they are refused up front with a `CryptoParameterError` that says what is wrong.
 * See docs/crypto.md.
 */
import { BulwarkError } from '../errors.js';

/**
 * Something could not be decrypted or authenticated. Always the same message, never a cause.
 *
 * @example
 * ```ts
 * try {
 *   await open(keyring, envelope, context);
 * } catch (err) {
 *   if (err instanceof DecryptionError) markRecordUnreadable(); // code: 'decryption_failed'
 * }
 * ```
 */
export class DecryptionError extends BulwarkError<'decryption_failed'> {
  constructor() {
    super('decryption_failed', 'decryption failed');
  }
}

/**
 * A key, IV, tag, format version, context or KDF parameter outside the supported profile.
 * Raised before any key is used.
 *
 * @example
 * ```ts
 * try {
 *   await seal(key, plaintext, { collection: 'notes', recordId: 'n1', field: 'body', schemaVersion: 1.5 });
 * } catch (err) {
 *   if (err instanceof CryptoParameterError) console.error(err.code, err.message); // crypto_parameters
 * }
 * ```
 */
export class CryptoParameterError extends BulwarkError<'crypto_parameters'> {
  constructor(message: string) {
    super('crypto_parameters', message);
  }
}

/**
 * A wrapped key asks for key-derivation parameters weaker than the configured floor. Refused
 * before anything is derived, so that a tampered or stale blob can never downgrade the work an
 * attacker needs per passcode guess.
 *
 * @example
 * ```ts
 * try {
 *   await unwrapDataKey(blob, { passcode });
 * } catch (err) {
 *   if (err instanceof KdfTooWeakError) askToRewrapWithStrongerParameters(); // kdf_too_weak
 * }
 * ```
 */
export class KdfTooWeakError extends BulwarkError<'kdf_too_weak'> {
  constructor(message: string) {
    super('kdf_too_weak', message);
  }
}

/**
 * Argon2id could not run here: it needs WebAssembly, which a page's Content-Security-Policy may
 * forbid (allow `'wasm-unsafe-eval'` in `script-src`) and some runtimes lack (React Native's
 * Hermes). Use the PBKDF2 KDF there.
 *
 * @example
 * ```ts
 * try {
 *   await vault.initialize({ passcode });
 * } catch (err) {
 *   if (err instanceof KdfUnavailableError) useVaultWith({ kdf: 'pbkdf2' }); // kdf_unavailable
 * }
 * ```
 */
export class KdfUnavailableError extends BulwarkError<'kdf_unavailable'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('kdf_unavailable', message, options);
  }
}

/**
 * A sealing key reached its usage limit (random 96-bit IVs: at most 2^32 messages per key by
 * NIST SP 800-38D). The caller must rotate to a new key.
 *
 * @example
 * ```ts
 * try {
 *   await seal(keyring.primary, plaintext, context);
 * } catch (err) {
 *   if (err instanceof KeyUsageLimitError) await rotateDataKey(); // key_usage_limit
 * }
 * ```
 */
export class KeyUsageLimitError extends BulwarkError<'key_usage_limit'> {
  constructor(message: string) {
    super('key_usage_limit', message);
  }
}
