/**
 * The keystore interface: where the SDK keeps its key-encryption keys and the app's small
 * secrets. Adapters implement it for each platform (in-memory, IndexedDB, a 0600 file in Node,
 * react-native-keychain, expo-secure-store, Capacitor secure storage). Each adapter describes what
 * it really protects in `protection`, which feeds the protection report (docs/platforms.md).
 */

/**
 * What a keystore protects on its platform, stated honestly.
 *
 * @example
 * ```ts
 * if (!keystore.protection.hardwareBacked) warnUser('keys are protected by software only');
 * ```
 */
export interface KeystoreProtection {
  /** Adapter id, e.g. `browser-indexeddb`, `node-file`, `react-native-keychain`. */
  readonly adapter: string;
  /** Key material is held by a secure element or TEE (true), never (false), or depends on the device. */
  readonly hardwareBacked: boolean | 'device-dependent';
  /** App code cannot read the raw key bytes (true for WebCrypto non-extractable keys). */
  readonly nonExtractable: boolean;
  /** Still safe if attacker script runs in the app's own origin/process (true only for OS-gated entries). */
  readonly survivesAppCodeExecution: boolean;
  /** Entries survive an app restart. */
  readonly persistent: boolean;
  /** Entries can be gated by biometrics and are invalidated by a new biometric enrolment. */
  readonly biometrics: boolean;
  /** Entries are excluded from device backups, so a restored backup arrives without them. */
  readonly excludedFromBackup: boolean | 'device-dependent';
}

/**
 * Options for writing an entry.
 *
 * @example
 * ```ts
 * await keystore.createKey('vault.biometric', { requireBiometrics: true });
 * ```
 */
export interface KeystoreWriteOptions {
  /** Gate the entry behind biometrics (platforms with `protection.biometrics` only). */
  readonly requireBiometrics?: boolean;
}

/**
 * Options for reading an entry.
 *
 * @example
 * ```ts
 * await keystore.getKey('vault.biometric', { prompt: 'Unlock your inspections' });
 * ```
 */
export interface KeystoreReadOptions {
  /** Text of the system prompt for a biometric-gated entry. */
  readonly prompt?: string;
}

/**
 * What the vault tells a keystore that keeps secrets in software (the Node file) about sealing
 * them; see {@link Keystore.sealSecrets}. `key` is derived from the vault's root key, so with a
 * passcode it exists only between an unlock with the passcode and the next lock.
 *
 * @example
 * ```ts
 * await keystore.sealSecrets?.({ state: 'locked' });
 * ```
 */
export type SecretSealing =
  /** The vault has a passcode and is unlocked: seal under `key`, and seal what is still in clear. */
  | { readonly state: 'unlocked'; readonly key: CryptoKey }
  /** The vault locked: forget the key; sealed secrets can be neither read nor written until unlock. */
  | { readonly state: 'locked' }
  /** The vault has no passcode (any more): open what is sealed under `key`, store secrets as they are. */
  | { readonly state: 'off'; readonly key: CryptoKey };

/**
 * A platform keystore. Names are 1 to 64 characters of `A-Z a-z 0-9 . _ -` (the set every
 * platform plugin accepts). Keys are AES-256-GCM CryptoKeys usable for `encrypt`/`decrypt` and
 * never extractable once returned.
 *
 * @example
 * ```ts
 * const keystore: Keystore = new MemoryKeystore();
 * const kek = (await keystore.getKey('vault.kek')) ?? (await keystore.createKey('vault.kek'));
 * await keystore.setSecret('app.token', new TextEncoder().encode('t0k3n'));
 * ```
 */
export interface Keystore {
  /** What this keystore protects on its platform. */
  readonly protection: KeystoreProtection;
  /** The secret under `name`, or `undefined` when there is none. */
  getSecret(name: string, options?: KeystoreReadOptions): Promise<Uint8Array<ArrayBuffer> | undefined>;
  /** Stores (or replaces) a secret. */
  setSecret(name: string, value: Uint8Array, options?: KeystoreWriteOptions): Promise<void>;
  /** Removes a secret; no error when absent. */
  deleteSecret(name: string): Promise<void>;
  /** The key under `name`, or `undefined` when there is none (e.g. after a backup restore). */
  getKey(name: string, options?: KeystoreReadOptions): Promise<CryptoKey | undefined>;
  /** Creates a fresh random key under `name`, replacing any previous one, and returns it. */
  createKey(name: string, options?: KeystoreWriteOptions): Promise<CryptoKey>;
  /** Destroys the key under `name`; no error when absent. */
  deleteKey(name: string): Promise<void>;
  /** Destroys every entry this keystore holds (used by wipe, keys first). */
  clear(): Promise<void>;
  /**
   * Optional, for keystores whose secrets would otherwise sit in a file as they are (the Node
   * file keystore): the vault calls it on unlock, lock and passcode changes, so that with a
   * passcode the secrets (secure items, the refresh token, a device key) are sealed under it.
   * Keystores backed by the OS or by non-extractable keys leave it out.
   */
  sealSecrets?(sealing: SecretSealing): Promise<void>;
}
