/**
 * Keystore over react-native-keychain (iOS Keychain, Android Keystore). One generic-password entry
 * per name (the `service`), accessible only when the device is unlocked and never migrated to
 * another device (`WHEN_UNLOCKED_THIS_DEVICE_ONLY`), so a restored backup arrives without the
 * keys. Biometric entries use `BIOMETRY_CURRENT_SET`: a new fingerprint or face invalidates them.
 * The app passes the module in, so the SDK has no hard dependency on React Native.
 */
import type { KeystoreProtection } from './keystore.js';
import { StringKeystore, type StringKeystoreOptions } from './lib/string-keystore.js';

/**
 * The part of `react-native-keychain` this adapter uses (`import * as Keychain from 'react-native-keychain'`).
 *
 * @example
 * ```ts
 * import * as Keychain from 'react-native-keychain';
 * const module: ReactNativeKeychainModule = Keychain;
 * ```
 */
export interface ReactNativeKeychainModule {
  readonly ACCESSIBLE: { readonly WHEN_UNLOCKED_THIS_DEVICE_ONLY: string };
  readonly ACCESS_CONTROL: { readonly BIOMETRY_CURRENT_SET: string };
  setGenericPassword(
    username: string,
    password: string,
    options?: { service?: string; accessible?: string; accessControl?: string },
  ): Promise<false | { service: string; storage: string }>;
  getGenericPassword(options?: {
    service?: string;
    accessControl?: string;
    authenticationPrompt?: { title?: string };
  }): Promise<false | { username: string; password: string; service: string; storage: string }>;
  resetGenericPassword(options?: { service?: string }): Promise<boolean>;
}

const USERNAME = 'bulwark';

/**
 * A keystore on react-native-keychain.
 *
 * @example
 * ```ts
 * import * as Keychain from 'react-native-keychain';
 * const keystore = new ReactNativeKeychainKeystore(Keychain, { namespace: 'inspections' });
 * ```
 */
export class ReactNativeKeychainKeystore extends StringKeystore {
  constructor(keychain: ReactNativeKeychainModule, options: StringKeystoreOptions = {}) {
    const protection: KeystoreProtection = {
      adapter: 'react-native-keychain',
      hardwareBacked: 'device-dependent',
      nonExtractable: false,
      survivesAppCodeExecution: false,
      persistent: true,
      biometrics: true,
      excludedFromBackup: true,
    };
    super(
      {
        async read(name, { biometric, prompt }) {
          const result = await keychain.getGenericPassword({
            service: name,
            ...(biometric ? { accessControl: keychain.ACCESS_CONTROL.BIOMETRY_CURRENT_SET } : {}),
            ...(prompt === undefined ? {} : { authenticationPrompt: { title: prompt } }),
          });
          return result === false ? undefined : result.password;
        },
        async write(name, value, { biometric }) {
          const result = await keychain.setGenericPassword(USERNAME, value, {
            service: name,
            accessible: keychain.ACCESSIBLE.WHEN_UNLOCKED_THIS_DEVICE_ONLY,
            ...(biometric ? { accessControl: keychain.ACCESS_CONTROL.BIOMETRY_CURRENT_SET } : {}),
          });
          if (result === false) throw new Error('setGenericPassword returned false');
        },
        async remove(name) {
          await keychain.resetGenericPassword({ service: name });
        },
      },
      protection,
      options,
    );
  }
}
