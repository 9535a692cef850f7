/**
 * The failures of `@bulwark/client`, one class each with a stable `code` (the same codes are listed
 * in docs/client.md). All extend core's `BulwarkError`, so an app can catch one base class. Messages
 * never contain secrets, passcodes, key material or record contents.
 */
import { BulwarkError } from '@bulwark/core';

/**
 * The platform keystore failed (plugin error, user cancelled a prompt, storage unavailable).
 * The platform's error is kept as `cause` for diagnosis; nothing was changed.
 *
 * @example
 * ```ts
 * try { await keystore.getSecret('token'); } catch (err) {
 *   if (err instanceof KeystoreError) showRetry(); // code: 'keystore_failed'
 * }
 * ```
 */
export class KeystoreError extends BulwarkError<'keystore_failed'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('keystore_failed', message, options);
  }
}

/**
 * A value is larger than the platform keystore accepts (expo-secure-store documents 2048 bytes).
 * Refused before the platform is called, so that nothing is half-written.
 *
 * @example
 * ```ts
 * try { await items.set('blob', big); } catch (err) {
 *   if (err instanceof KeystoreValueTooLargeError) storeInEncryptedStoreInstead(); // keystore_value_too_large
 * }
 * ```
 */
export class KeystoreValueTooLargeError extends BulwarkError<'keystore_value_too_large'> {
  constructor(limit: number) {
    super('keystore_value_too_large', `value exceeds the keystore limit of ${limit} bytes`);
  }
}

/**
 * The keystore cannot do what was asked on this platform (for example a biometric-gated entry in
 * the browser or in the Node file keystore).
 *
 * @example
 * ```ts
 * if (!keystore.protection.biometrics) hideBiometricToggle(); // else keystore_unsupported
 * ```
 */
export class KeystoreUnsupportedError extends BulwarkError<'keystore_unsupported'> {
  constructor(message: string) {
    super('keystore_unsupported', message);
  }
}

/**
 * A name, value or option given to the SDK is malformed. Nothing was stored.
 *
 * @example
 * ```ts
 * try { await items.set('bad name!', 'x'); } catch (err) {
 *   if (err instanceof InvalidArgumentError) console.error(err.message); // invalid_argument
 * }
 * ```
 */
export class InvalidArgumentError extends BulwarkError<'invalid_argument'> {
  constructor(message: string) {
    super('invalid_argument', message);
  }
}

/**
 * Stored data does not have the shape this version of the SDK wrote (a damaged or foreign entry).
 * Distinct from a decryption failure: the bytes are not even well-formed.
 *
 * @example
 * ```ts
 * try { await vault.unlock(); } catch (err) {
 *   if (err instanceof CorruptDataError) offerReset(); // corrupt_data
 * }
 * ```
 */
export class CorruptDataError extends BulwarkError<'corrupt_data'> {
  constructor(message: string) {
    super('corrupt_data', message);
  }
}

/**
 * The SDK was configured wrongly (a pin configuration without backup pins or expiry, fewer than
 * two pins, a client without collections): a mistake of the app's code or build, found before
 * anything is stored or sent.
 *
 * @example
 * ```ts
 * try { createPinnedFetch({ pins: [onePin] }); } catch (err) {
 *   if (err instanceof ConfigError) console.error(err.message); // config_invalid
 * }
 * ```
 */
export class ConfigError extends BulwarkError<'config_invalid'> {
  constructor(message: string) {
    super('config_invalid', message);
  }
}
