/**
 * The vault: one random root key per install, from which the data keys (DEKs) that encrypt the
 * store are unwrapped. The root key is wrapped by a keystore key and, when the app sets a
 * passcode, by a passcode key as well (both are then needed: the passcode-wrapped blob is sealed
 * under the keystore key, so a copied backup without the device's keystore is useless and the
 * passcode still has to be guessed through Argon2id on a device whose keystore was compromised).
 * An optional biometric-gated keystore key wraps the root key too, as an alternative to the
 * passcode. Unlock = unwrap into non-extractable CryptoKeys in memory; lock = forget them.
 *
 * Every change of state is one atomic write of the state record (see `storage.ts`), so a passcode
 * change or a rotation interrupted at any point leaves exactly one working passcode and every data
 * key readable. Failed passcode attempts are counted before the passcode is tried.
 * Design notes: docs/client.md, "Vault".
 */
import {
  DecryptionError,
  deriveDataKeys,
  generateDataKeyBytes,
  importDataKey,
  type KdfFloors,
  Keyring,
  open,
  type RandomBytes,
  randomBytes,
  rewrapDataKey,
  SealingKey,
  seal,
  unwrapDataKey,
  utf8Encode,
  wrapDataKey,
} from '@bulwark/core/crypto';
import { InvalidArgumentError, KeystoreUnsupportedError } from '../errors.js';
import type { Keystore } from '../keystore/keystore.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { SharedRun } from '../lib/shared-run.js';
import { type AppStateSource, AutoLock, type AutoLockPolicy } from './auto-lock.js';
import {
  BiometricUnavailableError,
  PasscodeRequiredError,
  VaultExistsError,
  VaultKeyMissingError,
  VaultLockedError,
  VaultNotInitializedError,
  VaultWipedError,
  WrongPasscodeError,
} from './errors.js';
import {
  decodeState,
  encodeState,
  type LiveState,
  type PolicySettings,
  type TombstoneReason,
  type VaultState,
  type WrappedDataKey,
} from './lib/state.js';
import { type VaultWipeCoordinator, type VaultWipeReason, vaultWipeLinks } from './lib/wipe-link.js';
import type { VaultStorage } from './storage.js';

/** Key id of the root key inside its wrapped-key blobs. */
const ROOT_KEY_ID = 'vault-root';
/** HKDF info of the key that wraps data keys, derived from the root key. */
const DEK_WRAP_INFO = 'bulwark/client/v1/dek-wrap';
/** HKDF info of the key that seals a software keystore's secrets (`Keystore.sealSecrets`). */
const SECRETS_INFO = 'bulwark/client/v1/keystore-secrets';

/** The keys derived from the root key, held while the vault is unlocked. */
interface RootKeys {
  readonly dekWrapKey: CryptoKey;
  readonly secretsKey: CryptoKey;
}
const BIOMETRIC_KEY = 'vault.bio';

/** Thrown inside the operation queue when the wrong-passcode limit is reached; never escapes. */
class LimitReached extends Error {}

/**
 * Options of {@link Vault.open}.
 *
 * @example
 * ```ts
 * const options: VaultOptions = {
 *   keystore, storage, maxFailedAttempts: 5, kdf: 'argon2id',
 *   autoLock: { idleMs: 300_000, background: 'immediately' }, appState,
 * };
 * ```
 */
export interface VaultOptions {
  readonly keystore: Keystore;
  readonly storage: VaultStorage;
  /** Wrong passcodes in a row that wipe the vault. Default 10 (the server policy may set it). */
  readonly maxFailedAttempts?: number;
  /** Passcode KDF for new passcodes. Default `argon2id`. */
  readonly kdf?: 'argon2id' | 'pbkdf2';
  /** KDF floors; wrapped keys weaker than these are refused (`kdf_too_weak`). */
  readonly kdfFloors?: Partial<KdfFloors>;
  readonly autoLock?: AutoLockPolicy;
  readonly appState?: AppStateSource;
  readonly clock?: Clock;
  readonly random?: RandomBytes;
}

/**
 * The keys of an unlocked vault, as the encrypted store uses them.
 *
 * @example
 * ```ts
 * const { keyring, blindIndexKeys, primaryKeyId } = vault.keys();
 * ```
 */
export interface VaultKeys {
  /** Seals with the primary data key's sealing subkey; opens with every data key's. */
  readonly keyring: Keyring;
  /** Blind-index subkey per data key id. */
  readonly blindIndexKeys: ReadonlyMap<string, CryptoKey>;
  readonly primaryKeyId: string;
  /** Random id of this install, bound into the AAD of vault-level blobs. */
  readonly installId: string;
}

/** Where the vault is. */
export type VaultStatus = 'uninitialized' | 'locked' | 'unlocked' | 'wiped';

/**
 * The vault of one install.
 *
 * @example
 * ```ts
 * const vault = await Vault.open({ keystore, storage });
 * if (vault.status === 'uninitialized') await vault.initialize({ passcode: '482916' });
 * else await vault.unlock('482916');
 * const keys = vault.keys();
 * vault.lock();
 * ```
 */
export class Vault {
  readonly #keystore: Keystore;
  readonly #storage: VaultStorage;
  #maxFailedAttempts: number;
  readonly #kdf: 'argon2id' | 'pbkdf2';
  readonly #floors: Partial<KdfFloors>;
  readonly #random: RandomBytes;
  readonly #autoLock: AutoLock;
  /** The app's own policy, which each server policy bounds anew. */
  readonly #appAutoLock: AutoLockPolicy;
  readonly #unsubscribe: (() => void) | undefined;
  readonly #lockListeners = new Set<() => void>();
  readonly #wipeListeners = new Set<() => unknown>();
  readonly #retireListeners = new Set<(keyId: string) => unknown>();
  #state: VaultState | undefined;
  /**
   * The last verified server policy settings: from the state at open, or from `applySettings`
   * (which may come before `initialize`: a sign-in before the passcode is chosen).
   */
  #policy: PolicySettings | undefined;
  #keys: (VaultKeys & RootKeys) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** The last state write, which a wipe lets finish before it writes the tombstone. */
  #writing: Promise<unknown> = Promise.resolve();
  /** Set the moment a wipe begins: from then on every operation fails with `vault_wiped`. */
  #wipeStarted = false;
  #shredding: Promise<void> | undefined;
  /** The vault's keystore keys a wipe has still to delete (its tombstone is already written). */
  readonly #keysToDelete = new Set<string>();
  readonly #ownWipe = new SharedRun<void>();
  /** The wipe coordinator (`Wiper`) that every wipe of this vault goes through, when there is one. */
  #coordinator: VaultWipeCoordinator | undefined;

  private constructor(options: VaultOptions, state: VaultState | undefined) {
    this.#keystore = options.keystore;
    this.#storage = options.storage;
    const max = options.maxFailedAttempts ?? 10;
    if (!Number.isSafeInteger(max) || max < 1)
      throw new InvalidArgumentError('maxFailedAttempts must be >= 1');
    this.#maxFailedAttempts = max;
    this.#kdf = options.kdf ?? 'argon2id';
    this.#floors = options.kdfFloors ?? {};
    this.#random = options.random ?? randomBytes;
    this.#appAutoLock = options.autoLock ?? {};
    this.#autoLock = new AutoLock(this.#appAutoLock, options.clock ?? systemClock, () => this.lock());
    this.#unsubscribe = options.appState?.subscribe((s) => this.#autoLock.appState(s));
    this.#state = state;
    // The admin's limits hold from the start, before (or without) any contact with the server.
    if (state?.kind === 'live' && state.policy !== undefined) this.#enforcePolicy(state.policy);
    vaultWipeLinks.set(this, {
      attach: (coordinator) => {
        this.#coordinator = coordinator;
      },
      begin: () => this.#begin(),
      shred: (reason) => this.#shred(reason),
      tombstoneAtOpen: () => (state?.kind === 'wiped' ? (state.reason ?? null) : undefined),
      listeners: () => [...this.#wipeListeners],
    });
  }

  /**
   * Opens the vault of this install (locked), finishing any key rotation a crash interrupted.
   *
   * @example
   * ```ts
   * const vault = await Vault.open({ keystore: await IndexedDbKeystore.open(), storage: await IndexedDbVaultStorage.open() });
   * ```
   */
  static async open(options: VaultOptions): Promise<Vault> {
    const record = await options.storage.read();
    const vault = new Vault(options, record === undefined ? undefined : decodeState(record));
    await vault.#serial(() => vault.#finishKekRetirement());
    return vault;
  }

  /** Where the vault is. */
  get status(): VaultStatus {
    if (this.#wipeStarted || this.#state?.kind === 'wiped') return 'wiped';
    if (this.#state === undefined) return 'uninitialized';
    return this.#keys === undefined ? 'locked' : 'unlocked';
  }

  /** Whether unlocking needs a passcode. */
  get hasPasscode(): boolean {
    return this.#state?.kind === 'live' && this.#state.protection === 'passcode';
  }

  /** Whether biometric unlock is set up (it may still fail if the enrolment changed). */
  get hasBiometrics(): boolean {
    return this.#state?.kind === 'live' && this.#state.biometric !== undefined;
  }

  /** Wrong passcodes left before the vault wipes itself. */
  get attemptsLeft(): number {
    const failed = this.#state?.kind === 'live' ? this.#state.failedAttempts : 0;
    return Math.max(0, this.#maxFailedAttempts - failed);
  }

  /**
   * Applies the settings of the server's verified device policy: the lock timeout and the
   * wrong-passcode limit. `lockTimeoutSeconds` bounds both the idle lock and the lock in the
   * background (the app's own `autoLock` stays when it is stricter); `0` means "lock
   * immediately": on going to the background, at once (an idle lock of 0 would lock the vault
   * while it is in use, so the app's idle timeout stays). `failedUnlockLimit: 0` leaves the limit
   * as it is. A lower limit takes effect at the next attempt (a vault already past it wipes then).
   *
   * The settings apply at once and are kept in the vault's state (one atomic write, the promise
   * settles when it is done), so the next start applies them before any contact with the server:
   * a device restarted without network keeps the admin's limits, not the app's defaults. Settings
   * that come before `initialize` are written with the new vault.
   *
   * @example
   * ```ts
   * const transport = new Transport({ ...options, onPolicy: (settings) => void vault.applySettings(settings) });
   * ```
   */
  applySettings(settings: {
    readonly lockTimeoutSeconds: number;
    readonly failedUnlockLimit: number;
  }): Promise<void> {
    const { lockTimeoutSeconds, failedUnlockLimit } = settings;
    for (const value of [lockTimeoutSeconds, failedUnlockLimit]) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new InvalidArgumentError('policy settings must be non-negative integers');
      }
    }
    const policy: PolicySettings = { lockTimeoutSeconds, failedUnlockLimit };
    this.#enforcePolicy(policy);
    return this.#serial(async () => {
      const mine = this.#state;
      // Nothing to keep it in yet (initialize writes it) or any more (a wipe).
      if (mine?.kind !== 'live' || this.#wipeStarted) return;
      await acrossContexts(stateLockName(mine.installId), async () => {
        // Written over the stored state, never over this context's copy of it: another tab may
        // have counted wrong passcodes since, and a stale copy would set the count back.
        const record = await this.#storage.read();
        const state = record === undefined ? undefined : decodeState(record);
        if (state?.kind !== 'live' || state.installId !== mine.installId) return;
        if (
          state.policy?.lockTimeoutSeconds === lockTimeoutSeconds &&
          state.policy.failedUnlockLimit === failedUnlockLimit
        ) {
          this.#state = state;
          return;
        }
        await this.#write({ ...state, policy });
      });
    });
  }

  #enforcePolicy(policy: PolicySettings): void {
    this.#policy = policy;
    if (policy.failedUnlockLimit > 0) this.#maxFailedAttempts = policy.failedUnlockLimit;
    this.#autoLock.setPolicy(boundedAutoLock(this.#appAutoLock, policy.lockTimeoutSeconds));
  }

  /**
   * Creates the vault of a new install (or after a wipe) and leaves it unlocked.
   *
   * @example
   * ```ts
   * await vault.initialize({ passcode: '482916' }); // or initialize() for keystore-only protection
   * ```
   */
  initialize(options: { readonly passcode?: string } = {}): Promise<void> {
    return this.#serial(async () => {
      if (this.#wipeStarted && this.#state?.kind === 'live') throw new VaultWipedError();
      if (this.#state?.kind === 'live') throw new VaultExistsError();
      // A new install on a wiped one: the wipe is over, operations are allowed again, and the
      // next wipe is a new one.
      const renewed = this.#wipeStarted || this.#state?.kind === 'wiped';
      this.#wipeStarted = false;
      this.#shredding = undefined;
      if (renewed) {
        this.#ownWipe.reset();
        this.#coordinator?.renewed();
      }
      const installId = `i-${hex(this.#random(12))}`;
      const kek = 'vault.kek.1';
      const kekKey = await this.#keystore.createKey(kek);
      const rootRaw = generateDataKeyBytes({ random: this.#random });
      const dekRaw = generateDataKeyBytes({ random: this.#random });
      try {
        let root: Uint8Array<ArrayBuffer>;
        if (options.passcode === undefined) {
          root = await wrapDataKey(rootRaw, ROOT_KEY_ID, { kind: 'keystore', kekId: kek, key: kekKey });
        } else {
          const inner = await wrapDataKey(rootRaw, ROOT_KEY_ID, this.#passcodeSpec(options.passcode), {
            floors: this.#floors,
          });
          root = await sealRoot(kek, kekKey, inner, installId);
        }
        const rootKeys = await deriveRootKeys(await importDataKey(rootRaw));
        const { dekWrapKey } = rootKeys;
        const dekId = `dek-${hex(this.#random(8))}`;
        const wrapped = await wrapDataKey(dekRaw, dekId, {
          kind: 'keystore',
          kekId: ROOT_KEY_ID,
          key: dekWrapKey,
        });
        const state: LiveState = {
          kind: 'live',
          installId,
          kek,
          protection: options.passcode === undefined ? 'keystore' : 'passcode',
          root,
          dataKeys: [{ id: dekId, wrapped }],
          failedAttempts: 0,
          ...(this.#policy === undefined ? {} : { policy: this.#policy }),
        };
        await this.#write(state);
        await this.#becomeUnlocked(state, rootKeys);
      } finally {
        rootRaw.fill(0);
        dekRaw.fill(0);
      }
    });
  }

  /**
   * Unlocks with the passcode (or without one for a keystore-only vault). A wrong passcode
   * counts before it is tried; the last allowed wrong passcode wipes the vault.
   *
   * @example
   * ```ts
   * try { await vault.unlock(passcode); } catch (err) {
   *   if (err instanceof WrongPasscodeError) console.log(err.attemptsLeft);
   * }
   * ```
   */
  unlock(passcode?: string): Promise<void> {
    return this.#serial(async () => {
      this.#live();
      if (this.#keys !== undefined) return;
      // Another tab or window of the install may have changed or wiped it since this one opened.
      const state = await this.#reread(this.#live());
      if (state.protection === 'keystore') {
        if (passcode !== undefined) throw new PasscodeRequiredError('this vault has no passcode');
        const kekKey = await this.#kekKey(state);
        let rootKey: CryptoKey;
        try {
          rootKey = (await unwrapDataKey(state.root, { keystoreKey: kekKey })).dataKey;
        } catch (err) {
          if (err instanceof DecryptionError) throw new VaultKeyMissingError();
          throw err;
        }
        await this.#becomeUnlocked(state, await deriveRootKeys(rootKey));
        return;
      }
      if (passcode === undefined) throw new PasscodeRequiredError();
      const inner = await this.#openRoot(state);
      const rootKey = await this.#attempt(state, () =>
        unwrapDataKey(inner, { passcode }, { floors: this.#floors }).then((r) => r.dataKey),
      );
      await this.#becomeUnlocked(this.#live(), await deriveRootKeys(rootKey));
    });
  }

  /**
   * Unlocks with the biometric-gated keystore entry; the platform shows its prompt.
   *
   * @example
   * ```ts
   * await vault.unlockWithBiometrics('Unlock your inspections').catch(() => askPasscode());
   * ```
   */
  unlockWithBiometrics(prompt?: string): Promise<void> {
    return this.#serial(async () => {
      const state = this.#live();
      if (this.#keys !== undefined) return;
      const biometric = state.biometric;
      if (biometric === undefined) throw new BiometricUnavailableError();
      let bioKey: CryptoKey | undefined;
      try {
        bioKey = await this.#keystore.getKey(biometric.key, prompt === undefined ? {} : { prompt });
      } catch (cause) {
        throw new BiometricUnavailableError({ cause });
      }
      if (bioKey === undefined) {
        const { biometric: _dropped, ...rest } = state;
        await this.#write(rest);
        throw new BiometricUnavailableError();
      }
      let rootKey: CryptoKey;
      try {
        rootKey = (await unwrapDataKey(biometric.root, { keystoreKey: bioKey })).dataKey;
      } catch (cause) {
        throw new BiometricUnavailableError({ cause });
      }
      if (state.failedAttempts !== 0) await this.#write({ ...state, failedAttempts: 0 });
      await this.#becomeUnlocked(this.#live(), await deriveRootKeys(rootKey));
    });
  }

  /**
   * Forgets every key. Listeners registered with `onLock` run (the store drops its caches).
   *
   * @example
   * ```ts
   * onLogout(() => vault.lock());
   * ```
   */
  lock(): void {
    // The keystore forgets the secrets key at once (synchronously, in the Node file keystore).
    this.#keystore.sealSecrets?.({ state: 'locked' }).catch(() => undefined);
    if (this.#keys === undefined) return;
    this.#keys = undefined;
    this.#autoLock.disarm();
    for (const listener of this.#lockListeners) listener();
  }

  /**
   * Reports user activity to the idle auto-lock.
   *
   * @example
   * ```ts
   * document.addEventListener('pointerdown', () => vault.touch());
   * ```
   */
  touch(): void {
    this.#autoLock.touch();
  }

  /**
   * The keys of the unlocked vault.
   *
   * @example
   * ```ts
   * const { keyring } = vault.keys(); // throws VaultLockedError when locked
   * ```
   */
  keys(): VaultKeys {
    if (this.#wipeStarted || this.#state?.kind === 'wiped') throw new VaultWipedError();
    const keys = this.#keys;
    if (keys === undefined) throw new VaultLockedError();
    return {
      keyring: keys.keyring,
      blindIndexKeys: keys.blindIndexKeys,
      primaryKeyId: keys.primaryKeyId,
      installId: keys.installId,
    };
  }

  /**
   * Calls `listener` whenever the vault locks. Returns a function that unsubscribes.
   *
   * @example
   * ```ts
   * const off = vault.onLock(() => router.go('/unlock'));
   * ```
   */
  onLock(listener: () => void): () => void {
    this.#lockListeners.add(listener);
    return () => this.#lockListeners.delete(listener);
  }

  /**
   * Registers data to destroy on wipe (after the keys). Returns a function that unsubscribes.
   * A listener may call `wipe()` (of the vault or of the `Wiper`) again: it gets the wipe under
   * way, and the wipe does not wait for that listener, so neither waits for the other.
   *
   * @example
   * ```ts
   * vault.onWipe(() => backend.destroy());
   * ```
   */
  onWipe(listener: () => unknown): () => void {
    this.#wipeListeners.add(listener);
    return () => this.#wipeListeners.delete(listener);
  }

  /**
   * Registers data to move off older data keys before one is retired: `retireDataKey` runs every
   * listener (the store's and the files' re-encryption) and retires the key only once all have
   * finished. A listener must not call the vault's state-changing methods (they wait for the
   * retirement). Returns a function that unsubscribes.
   *
   * @example
   * ```ts
   * vault.onRetireDataKey(() => files.reencrypt());
   * ```
   */
  onRetireDataKey(listener: (keyId: string) => unknown): () => void {
    this.#retireListeners.add(listener);
    return () => this.#retireListeners.delete(listener);
  }

  /**
   * Replaces the passcode. The current passcode counts as an attempt. Crash-safe: one atomic
   * write switches from the old passcode to the new one.
   *
   * @example
   * ```ts
   * await vault.changePasscode('482916', 'correct horse battery');
   * ```
   */
  changePasscode(current: string, next: string): Promise<void> {
    return this.#serial(async () => {
      const state = this.#live();
      if (state.protection !== 'passcode')
        throw new PasscodeRequiredError('this vault has no passcode to change');
      const inner = await this.#openRoot(state);
      const nextInner = await this.#attempt(state, () =>
        rewrapDataKey(inner, { passcode: current }, this.#passcodeSpec(next), { floors: this.#floors }),
      );
      const kekKey = await this.#kekKey(state);
      const after = this.#live();
      await this.#write({ ...after, root: await sealRoot(after.kek, kekKey, nextInner, after.installId) });
    });
  }

  /**
   * Adds a passcode to a keystore-only vault.
   *
   * @example
   * ```ts
   * await vault.setPasscode('482916');
   * ```
   */
  setPasscode(passcode: string): Promise<void> {
    return this.#serial(async () => {
      const state = this.#live();
      if (state.protection === 'passcode') throw new PasscodeRequiredError('use changePasscode');
      const kekKey = await this.#kekKey(state);
      const inner = await rewrapDataKey(state.root, { keystoreKey: kekKey }, this.#passcodeSpec(passcode), {
        floors: this.#floors,
      });
      await this.#write({
        ...state,
        protection: 'passcode',
        root: await sealRoot(state.kek, kekKey, inner, state.installId),
      });
      // The secrets kept in clear until now are sealed under the passcode from here on (a crash
      // before this is made good by the next unlock).
      if (this.#keystore.sealSecrets !== undefined) {
        await this.#sealSecrets('passcode', await secretsKeyOf(state.root, kekKey));
        if (this.#keys === undefined) await this.#keystore.sealSecrets({ state: 'locked' });
      }
    });
  }

  /**
   * Removes the passcode (and biometric unlock, which only stands in for it).
   *
   * @example
   * ```ts
   * await vault.removePasscode('482916');
   * ```
   */
  removePasscode(current: string): Promise<void> {
    return this.#serial(async () => {
      const state = this.#live();
      if (state.protection !== 'passcode') throw new PasscodeRequiredError('this vault has no passcode');
      const inner = await this.#openRoot(state);
      const kekKey = await this.#kekKey(state);
      const root = await this.#attempt(state, () =>
        rewrapDataKey(
          inner,
          { passcode: current },
          { kind: 'keystore', kekId: state.kek, key: kekKey },
          {
            floors: this.#floors,
          },
        ),
      );
      const { biometric, ...rest } = this.#live();
      await this.#write({ ...rest, protection: 'keystore', root });
      if (biometric !== undefined) await this.#keystore.deleteKey(biometric.key).catch(() => undefined);
      if (this.#keystore.sealSecrets !== undefined) {
        await this.#sealSecrets('keystore', await secretsKeyOf(root, kekKey));
      }
    });
  }

  /**
   * Sets up biometric unlock (platforms whose keystore has biometric entries). Needs the
   * passcode, which counts as an attempt.
   *
   * @example
   * ```ts
   * if (keystore.protection.biometrics) await vault.enableBiometrics(passcode);
   * ```
   */
  enableBiometrics(passcode: string): Promise<void> {
    return this.#serial(async () => {
      const state = this.#live();
      if (!this.#keystore.protection.biometrics) {
        throw new KeystoreUnsupportedError('this keystore has no biometric entries');
      }
      if (state.protection !== 'passcode') throw new PasscodeRequiredError('set a passcode first');
      const inner = await this.#openRoot(state);
      const bioKey = await this.#keystore.createKey(BIOMETRIC_KEY, { requireBiometrics: true });
      const root = await this.#attempt(state, () =>
        rewrapDataKey(
          inner,
          { passcode },
          { kind: 'keystore', kekId: BIOMETRIC_KEY, key: bioKey },
          {
            floors: this.#floors,
          },
        ),
      );
      await this.#write({ ...this.#live(), biometric: { key: BIOMETRIC_KEY, root } });
    });
  }

  /**
   * Turns biometric unlock off and destroys its keystore entry.
   *
   * @example
   * ```ts
   * await vault.disableBiometrics();
   * ```
   */
  disableBiometrics(): Promise<void> {
    return this.#serial(async () => {
      const { biometric, ...rest } = this.#live();
      if (biometric === undefined) return;
      await this.#write(rest);
      await this.#keystore.deleteKey(biometric.key);
    });
  }

  /**
   * Replaces the keystore key that wraps the root key. Crash-safe: the new key is created, one
   * write switches to it, then the old key is destroyed (and a crash before that is finished on
   * the next `open`).
   *
   * @example
   * ```ts
   * await vault.rotateKeystoreKey();
   * ```
   */
  rotateKeystoreKey(): Promise<void> {
    return this.#serial(async () => {
      await this.#finishKekRetirement();
      const state = this.#live();
      const oldKey = await this.#kekKey(state);
      const generation = Number(state.kek.slice('vault.kek.'.length));
      const nextName = `vault.kek.${Number.isSafeInteger(generation) ? generation + 1 : 1}`;
      const nextKey = await this.#keystore.createKey(nextName);
      let root: Uint8Array<ArrayBuffer>;
      if (state.protection === 'keystore') {
        root = await rewrapDataKey(
          state.root,
          { keystoreKey: oldKey },
          { kind: 'keystore', kekId: nextName, key: nextKey },
        );
      } else {
        const inner = await this.#openRoot(state);
        root = await sealRoot(nextName, nextKey, inner, state.installId);
      }
      await this.#write({ ...state, kek: nextName, retiredKek: state.kek, root });
      await this.#finishKekRetirement();
    });
  }

  /**
   * Makes a fresh data key the primary one (new data is sealed under it). Older keys still open
   * what they sealed until `retireDataKey` after the store has re-encrypted. Needs the vault
   * unlocked; one atomic write.
   *
   * @example
   * ```ts
   * const id = await vault.rotateDataKey();
   * await store.reencrypt(); // optional: retireDataKey(oldId) re-encrypts what is left
   * ```
   */
  rotateDataKey(): Promise<string> {
    return this.#serial(async () => {
      const state = this.#live();
      const keys = this.#unlockedKeys();
      const raw = generateDataKeyBytes({ random: this.#random });
      try {
        const id = `dek-${hex(this.#random(8))}`;
        const wrapped = await wrapDataKey(raw, id, {
          kind: 'keystore',
          kekId: ROOT_KEY_ID,
          key: keys.dekWrapKey,
        });
        const next: LiveState = { ...state, dataKeys: [{ id, wrapped }, ...state.dataKeys] };
        await this.#write(next);
        await this.#becomeUnlocked(next, keys);
        return id;
      } finally {
        raw.fill(0);
      }
    });
  }

  /**
   * Forgets an old data key. First every `onRetireDataKey` listener moves its data to the primary
   * key (the stores and encrypted files opened over this vault register themselves), so nothing
   * still sealed under the old key is lost; if one fails, the key is kept and the error thrown.
   * Crash-safe: the data moves in atomic steps readable under both keys, then one atomic write
   * forgets the key.
   *
   * @example
   * ```ts
   * await vault.retireDataKey(oldId);
   * ```
   */
  retireDataKey(id: string): Promise<void> {
    return this.#serial(async () => {
      const before = this.#live();
      this.#unlockedKeys();
      if (before.dataKeys[0]?.id === id)
        throw new InvalidArgumentError('the primary data key cannot be retired');
      if (!before.dataKeys.some((k) => k.id === id)) return;
      for (const listener of [...this.#retireListeners]) await listener(id);
      const state = this.#live();
      const keys = this.#unlockedKeys();
      const next: LiveState = { ...state, dataKeys: state.dataKeys.filter((k) => k.id !== id) };
      await this.#write(next);
      await this.#becomeUnlocked(next, keys);
    });
  }

  /** Ids of the data keys, primary first. */
  get dataKeyIds(): string[] {
    return this.#state?.kind === 'live' ? this.#state.dataKeys.map((k) => k.id) : [];
  }

  /**
   * Crypto-shreds the vault: destroys the wrapped keys first (a tombstone replaces the state),
   * then its keystore keys, then runs the `onWipe` listeners that delete the data. When a `Wiper`
   * was made for this vault, the wipe is the Wiper's (reason `manual`): every key, secure item,
   * session and data set it knows goes too. It does not queue behind other operations (they fail
   * with `vault_wiped` from the moment it begins), and calls made while it runs share it.
   *
   * @example
   * ```ts
   * await vault.wipe();
   * ```
   */
  wipe(): Promise<void> {
    return this.#requestWipe('manual');
  }

  /**
   * Stops listening to app-state changes and locks.
   *
   * @example
   * ```ts
   * vault.close();
   * ```
   */
  close(): void {
    this.lock();
    this.#unsubscribe?.();
  }

  /** The one way in to a wipe: the coordinator's when there is one, else the vault's own. */
  #requestWipe(reason: VaultWipeReason): Promise<void> {
    const coordinator = this.#coordinator;
    if (coordinator !== undefined) return coordinator.wipe(reason).then(() => undefined);
    return this.#ownWipe.run(async (callback) => {
      await this.#shred(reason);
      for (const listener of [...this.#wipeListeners]) await callback(listener);
    });
  }

  #begin(): void {
    this.#wipeStarted = true;
    this.lock();
  }

  /** Wrapped keys, then keystore keys; once per wipe, outside the operation queue. */
  #shred(reason: TombstoneReason): Promise<void> {
    this.#begin();
    this.#shredding ??= this.#destroyKeys(reason).catch((err: unknown) => {
      this.#shredding = undefined;
      throw err;
    });
    return this.#shredding;
  }

  async #destroyKeys(reason: TombstoneReason): Promise<void> {
    // A state write already under way lands first, so the tombstone is the last word.
    await this.#writing;
    const state = this.#state;
    if (state?.kind !== 'wiped') {
      if (state?.kind === 'live') {
        for (const name of [state.kek, state.retiredKek, state.biometric?.key, BIOMETRIC_KEY]) {
          if (name !== undefined) this.#keysToDelete.add(name);
        }
      }
      // The wrapped keys first, in one atomic write: a crash from here on leaves a tombstone, which
      // the next start recognises as a wipe to finish, never a live vault whose keystore key is
      // gone (`vault_key_missing`, which looks like a backup restore).
      await this.#write({ kind: 'wiped', reason });
    }
    // Kept until deleted, so a wipe that failed here deletes them when it is run again.
    for (const name of [...this.#keysToDelete]) {
      await this.#keystore.deleteKey(name);
      this.#keysToDelete.delete(name);
    }
  }

  /**
   * Runs a wipe that an operation asked for: after the operation has left the queue, so the wipe
   * (and app code it calls, which may use the vault) never waits for it.
   */
  async #wipeAtLimit(): Promise<never> {
    try {
      await this.#requestWipe('failed_unlocks');
    } catch (err) {
      // Not even the tombstone was written: the next attempt, still over the limit, tries again.
      if (this.#state?.kind !== 'wiped') this.#wipeStarted = false;
      throw err;
    }
    throw new VaultWipedError();
  }

  /**
   * Counts an attempt, persists the count, then runs `attempt`; wipes at the limit. The count is
   * the stored one, read again under a lock that other tabs and windows of the origin share
   * (Web Locks, where the platform has them): every context of the install that was opened before
   * the attempts began holds its own copy of the state, and counting from that copy gave each of
   * them the whole limit again.
   */
  #attempt<T>(state: LiveState, attempt: () => Promise<T>): Promise<T> {
    return acrossContexts(stateLockName(state.installId), async () => {
      const current = await this.#reread(state);
      if (current.failedAttempts >= this.#maxFailedAttempts) {
        this.#begin();
        throw new LimitReached();
      }
      const counted: LiveState = { ...current, failedAttempts: current.failedAttempts + 1 };
      await this.#write(counted);
      let result: T;
      try {
        result = await attempt();
      } catch (err) {
        if (!(err instanceof DecryptionError)) throw err;
        if (counted.failedAttempts >= this.#maxFailedAttempts) {
          this.#begin();
          throw new LimitReached();
        }
        throw new WrongPasscodeError(this.#maxFailedAttempts - counted.failedAttempts);
      }
      await this.#write({ ...counted, failedAttempts: 0 });
      return result;
    });
  }

  /**
   * The stored state of this install, which another context may have changed since this one read
   * it; `vault_wiped` when that context wiped it (or wiped it and set up a new install).
   */
  async #reread(state: LiveState): Promise<LiveState> {
    const record = await this.#storage.read();
    const stored = record === undefined ? undefined : decodeState(record);
    if (stored?.kind !== 'live' || stored.installId !== state.installId) {
      this.#begin();
      this.#state = stored?.kind === 'wiped' ? stored : { kind: 'wiped' };
      throw new VaultWipedError();
    }
    this.#state = stored;
    return stored;
  }

  async #openRoot(state: LiveState): Promise<Uint8Array<ArrayBuffer>> {
    const kekKey = await this.#kekKey(state);
    try {
      return await open(
        new Map([[state.kek, new SealingKey(state.kek, kekKey)]]),
        state.root,
        rootContext(state.installId),
      );
    } catch (err) {
      if (err instanceof DecryptionError) throw new VaultKeyMissingError();
      throw err;
    }
  }

  async #kekKey(state: LiveState): Promise<CryptoKey> {
    const key = await this.#keystore.getKey(state.kek);
    if (key === undefined) throw new VaultKeyMissingError();
    return key;
  }

  async #becomeUnlocked(state: LiveState, rootKeys: RootKeys): Promise<void> {
    const { dekWrapKey, secretsKey } = rootKeys;
    const sealingKeys: SealingKey[] = [];
    const blindIndexKeys = new Map<string, CryptoKey>();
    for (const entry of state.dataKeys) {
      const { sealingKey, blindIndexKey } = await unwrapDek(entry, dekWrapKey);
      sealingKeys.push(sealingKey);
      blindIndexKeys.set(entry.id, blindIndexKey);
    }
    const [primary, ...others] = sealingKeys;
    if (primary === undefined) throw new VaultKeyMissingError();
    const wasLocked = this.#keys === undefined;
    // Before the vault counts as unlocked: a keystore that cannot seal (or open) its secrets
    // fails the unlock rather than leave them in clear.
    if (wasLocked) await this.#sealSecrets(state.protection, secretsKey);
    this.#keys = {
      keyring: new Keyring(primary, others),
      blindIndexKeys,
      primaryKeyId: primary.id,
      installId: state.installId,
      dekWrapKey,
      secretsKey,
    };
    if (wasLocked) this.#autoLock.arm();
  }

  /**
   * Tells a software keystore how to keep its secrets: sealed under the root key while a
   * passcode protects the vault, as they are without one (docs/platforms.md, Node).
   */
  async #sealSecrets(protection: LiveState['protection'], secretsKey: CryptoKey): Promise<void> {
    await this.#keystore.sealSecrets?.(
      protection === 'passcode' ? { state: 'unlocked', key: secretsKey } : { state: 'off', key: secretsKey },
    );
  }

  #unlockedKeys(): VaultKeys & RootKeys {
    if (this.#keys === undefined) throw new VaultLockedError();
    return this.#keys;
  }

  async #finishKekRetirement(): Promise<void> {
    const state = this.#state;
    if (state?.kind !== 'live' || state.retiredKek === undefined) return;
    await this.#keystore.deleteKey(state.retiredKek);
    const { retiredKek: _done, ...rest } = state;
    await this.#write(rest);
  }

  #live(): LiveState {
    const state = this.#state;
    if (this.#wipeStarted) throw new VaultWipedError();
    if (state === undefined) throw new VaultNotInitializedError();
    if (state.kind === 'wiped') throw new VaultWipedError();
    return state;
  }

  async #write(state: VaultState): Promise<void> {
    // Once a wipe has begun, only its tombstone may be written: never a live state after it.
    if (this.#wipeStarted && state.kind !== 'wiped') throw new VaultWipedError();
    const writing = this.#storage.write(encodeState(state));
    this.#writing = writing.catch(() => undefined);
    await writing;
    this.#state = state;
  }

  #passcodeSpec(passcode: string): { kind: 'argon2id' | 'pbkdf2'; passcode: string } {
    if (typeof passcode !== 'string' || passcode.length === 0) {
      throw new InvalidArgumentError('the passcode must be a non-empty string');
    }
    return { kind: this.#kdf, passcode };
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      if (err instanceof LimitReached) return this.#wipeAtLimit();
      throw err;
    });
  }
}

function rootContext(installId: string): { purpose: string; install: string } {
  return { purpose: 'bulwark.vault.root', install: installId };
}

async function sealRoot(
  kek: string,
  kekKey: CryptoKey,
  inner: Uint8Array<ArrayBuffer>,
  installId: string,
): Promise<Uint8Array<ArrayBuffer>> {
  return seal(new SealingKey(kek, kekKey), inner, rootContext(installId));
}

/** The secrets key of a root key wrapped by the keystore key alone. */
async function secretsKeyOf(root: Uint8Array<ArrayBuffer>, kekKey: CryptoKey): Promise<CryptoKey> {
  let rootKey: CryptoKey;
  try {
    rootKey = (await unwrapDataKey(root, { keystoreKey: kekKey })).dataKey;
  } catch (err) {
    if (err instanceof DecryptionError) throw new VaultKeyMissingError();
    throw err;
  }
  return (await deriveRootKeys(rootKey)).secretsKey;
}

async function deriveRootKeys(rootKey: CryptoKey): Promise<RootKeys> {
  const derive = (info: string, usages: KeyUsage[]) =>
    globalThis.crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8Encode(info) },
      rootKey,
      { name: 'AES-GCM', length: 256 },
      false,
      usages,
    );
  return {
    dekWrapKey: await derive(DEK_WRAP_INFO, ['encrypt', 'decrypt', 'unwrapKey']),
    secretsKey: await derive(SECRETS_INFO, ['encrypt', 'decrypt']),
  };
}

async function unwrapDek(
  entry: WrappedDataKey,
  dekWrapKey: CryptoKey,
): Promise<{ sealingKey: SealingKey; blindIndexKey: CryptoKey }> {
  try {
    const { keyId, dataKey } = await unwrapDataKey(entry.wrapped, { keystoreKey: dekWrapKey });
    return deriveDataKeys(dataKey, keyId);
  } catch (err) {
    if (err instanceof DecryptionError) throw new VaultKeyMissingError();
    throw err;
  }
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** The origin-wide lock that every read-modify-write of an install's stored state takes. */
function stateLockName(installId: string): string {
  return `bulwark.vault.state.${installId}`;
}

/** The part of the Web Locks API used here (`navigator.locks`). */
interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/**
 * Runs `operation` holding the origin-wide lock `name` where the platform has Web Locks (browsers,
 * WebViews, workers), so that tabs and windows of one install take turns; elsewhere (Node, React
 * Native) it just runs: one process holds the install there.
 */
function acrossContexts<T>(name: string, operation: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return locks === undefined ? operation() : locks.request(name, operation);
}

/**
 * The app's auto-lock policy bounded by the server's lock timeout: the stricter of the two for
 * the idle lock and for the lock in the background; 0 locks on going to the background at once.
 */
function boundedAutoLock(app: AutoLockPolicy, lockTimeoutSeconds: number): AutoLockPolicy {
  if (lockTimeoutSeconds === 0) return { ...app, background: 'immediately' };
  const limitMs = lockTimeoutSeconds * 1000;
  const appBackground = app.background ?? 'immediately';
  const background =
    appBackground === 'immediately'
      ? appBackground
      : appBackground === 'never'
        ? limitMs
        : Math.min(appBackground, limitMs);
  return { ...app, idleMs: Math.min(app.idleMs ?? limitMs, limitMs), background };
}
