/**
 * Keystore over expo-secure-store (iOS Keychain, Android Keystore-encrypted preferences). Values
 * are strings of at most 2048 bytes (the documented limit; larger values are refused here rather
 * than risking the platform's warning-then-failure), keys use the `A-Z a-z 0-9 . - _` alphabet,
 * entries are `WHEN_UNLOCKED_THIS_DEVICE_ONLY`. Biometric entries use `requireAuthentication`,
 * which a new biometric enrolment invalidates.
 */
import type { KeystoreProtection } from './keystore.js';
import { StringKeystore, type StringKeystoreOptions } from './lib/string-keystore.js';

/**
 * The part of `expo-secure-store` this adapter uses (`import * as SecureStore from 'expo-secure-store'`).
 *
 * @example
 * ```ts
 * import * as SecureStore from 'expo-secure-store';
 * const module: ExpoSecureStoreModule = SecureStore;
 * ```
 */
export interface ExpoSecureStoreModule {
  readonly WHEN_UNLOCKED_THIS_DEVICE_ONLY: number;
  getItemAsync(key: string, options?: ExpoSecureStoreOptions): Promise<string | null>;
  setItemAsync(key: string, value: string, options?: ExpoSecureStoreOptions): Promise<void>;
  deleteItemAsync(key: string, options?: ExpoSecureStoreOptions): Promise<void>;
}

/** The options of expo-secure-store calls that this adapter sets. */
export interface ExpoSecureStoreOptions {
  keychainAccessible?: number;
  requireAuthentication?: boolean;
  authenticationPrompt?: string;
}

/**
 * A keystore on expo-secure-store.
 *
 * @example
 * ```ts
 * import * as SecureStore from 'expo-secure-store';
 * const keystore = new ExpoSecureStoreKeystore(SecureStore);
 * ```
 */
export class ExpoSecureStoreKeystore extends StringKeystore {
  constructor(secureStore: ExpoSecureStoreModule, options: StringKeystoreOptions = {}) {
    const protection: KeystoreProtection = {
      adapter: 'expo-secure-store',
      hardwareBacked: 'device-dependent',
      nonExtractable: false,
      survivesAppCodeExecution: false,
      persistent: true,
      biometrics: true,
      excludedFromBackup: true,
    };
    const base = (biometric: boolean): ExpoSecureStoreOptions => ({
      keychainAccessible: secureStore.WHEN_UNLOCKED_THIS_DEVICE_ONLY,
      ...(biometric ? { requireAuthentication: true } : {}),
    });
    super(
      {
        async read(name, { biometric, prompt }) {
          const value = await secureStore.getItemAsync(name, {
            ...base(biometric),
            ...(prompt === undefined ? {} : { authenticationPrompt: prompt }),
          });
          return value ?? undefined;
        },
        async write(name, value, { biometric }) {
          await secureStore.setItemAsync(name, value, base(biometric));
        },
        async remove(name) {
          await secureStore.deleteItemAsync(name, base(false));
        },
      },
      protection,
      { maxValueBytes: 2048, ...options },
    );
  }
}
