/**
 * The failures of the vault, one class each with a stable `code` (docs/client.md).
 */
import { BulwarkError } from '@bulwark/core';

/**
 * The vault is locked: unlock it before reading or writing protected data.
 *
 * @example
 * ```ts
 * try { await store.get('sites', id); } catch (err) {
 *   if (err instanceof VaultLockedError) showUnlockScreen(); // vault_locked
 * }
 * ```
 */
export class VaultLockedError extends BulwarkError<'vault_locked'> {
  /** `message` says what to call where the caller knows (the client: the vault's status). */
  constructor(message = 'the vault is locked') {
    super('vault_locked', message);
  }
}

/**
 * No vault exists yet on this install (or it was wiped): call `initialize()`.
 *
 * @example
 * ```ts
 * if (vault.status === 'uninitialized') await vault.initialize({ passcode });
 * ```
 */
export class VaultNotInitializedError extends BulwarkError<'vault_not_initialized'> {
  constructor() {
    super('vault_not_initialized', 'no vault exists on this install');
  }
}

/**
 * `initialize()` was called on an install that already has a vault; nothing was overwritten.
 *
 * @example
 * ```ts
 * try { await vault.initialize(); } catch (err) { if (err instanceof VaultExistsError) await vault.unlock(); }
 * ```
 */
export class VaultExistsError extends BulwarkError<'vault_exists'> {
  constructor() {
    super('vault_exists', 'a vault already exists on this install');
  }
}

/**
 * The passcode is wrong. `attemptsLeft` says how many tries remain before the vault wipes itself.
 *
 * @example
 * ```ts
 * try { await vault.unlock(passcode); } catch (err) {
 *   if (err instanceof WrongPasscodeError) showError(`${err.attemptsLeft} attempts left`); // wrong_passcode
 * }
 * ```
 */
export class WrongPasscodeError extends BulwarkError<'wrong_passcode'> {
  readonly attemptsLeft: number;

  constructor(attemptsLeft: number) {
    super('wrong_passcode', 'wrong passcode');
    this.attemptsLeft = attemptsLeft;
  }
}

/**
 * The vault was wiped (too many wrong passcodes, a revoked device, an expired offline grace
 * period or an explicit wipe). Its data cannot be recovered on this device.
 *
 * @example
 * ```ts
 * try { await vault.unlock(passcode); } catch (err) {
 *   if (err instanceof VaultWipedError) goToEnrollment(); // vault_wiped
 * }
 * ```
 */
export class VaultWipedError extends BulwarkError<'vault_wiped'> {
  constructor() {
    super('vault_wiped', 'the vault was wiped');
  }
}

/**
 * The keystore key that protects the vault is gone or does not match (typically: the app's data
 * was restored from a backup onto a device whose keystore does not have the key). The local data
 * cannot be decrypted; wipe it and sync again from the server.
 *
 * @example
 * ```ts
 * try { await vault.unlock(); } catch (err) {
 *   if (err instanceof VaultKeyMissingError) { await vault.wipe(); await resync(); } // vault_key_missing
 * }
 * ```
 */
export class VaultKeyMissingError extends BulwarkError<'vault_key_missing'> {
  constructor() {
    super('vault_key_missing', 'the keystore key of this vault is missing');
  }
}

/**
 * The operation needs a passcode and none was given, or one was given to a vault without one.
 *
 * @example
 * ```ts
 * try { await vault.unlock(); } catch (err) { if (err instanceof PasscodeRequiredError) askPasscode(); }
 * ```
 */
export class PasscodeRequiredError extends BulwarkError<'passcode_required'> {
  constructor(message = 'this vault is protected by a passcode') {
    super('passcode_required', message);
  }
}

/**
 * Biometric unlock is not available: not enabled, refused or cancelled by the user, or invalidated
 * by a new biometric enrolment. The passcode still works.
 *
 * @example
 * ```ts
 * try { await vault.unlockWithBiometrics('Unlock'); } catch (err) {
 *   if (err instanceof BiometricUnavailableError) askPasscode(); // biometric_unavailable
 * }
 * ```
 */
export class BiometricUnavailableError extends BulwarkError<'biometric_unavailable'> {
  constructor(options?: { cause?: unknown }) {
    super('biometric_unavailable', 'biometric unlock is not available', options);
  }
}
