/**
 * Keystore over capacitor-secure-storage-plugin (iOS Keychain, Android Keystore-encrypted
 * preferences) for Capacitor and Ionic apps. The plugin stores strings, rejects `get` and
 * `remove` for a missing key, and lists its keys; it has no biometric gate, so biometric entries
 * are refused (`keystore_unsupported`) rather than silently stored ungated.
 */
import type { KeystoreProtection } from './keystore.js';
import { StringKeystore, type StringKeystoreOptions } from './lib/string-keystore.js';

/**
 * The part of the `SecureStoragePlugin` object this adapter uses.
 *
 * @example
 * ```ts
 * import { SecureStoragePlugin } from 'capacitor-secure-storage-plugin';
 * const plugin: CapacitorSecureStoragePlugin = SecureStoragePlugin;
 * ```
 */
export interface CapacitorSecureStoragePlugin {
  get(options: { key: string }): Promise<{ value: string }>;
  set(options: { key: string; value: string }): Promise<{ value: boolean }>;
  remove(options: { key: string }): Promise<{ value: boolean }>;
  keys(): Promise<{ value: string[] }>;
}

/**
 * A keystore on Capacitor secure storage.
 *
 * @example
 * ```ts
 * import { SecureStoragePlugin } from 'capacitor-secure-storage-plugin';
 * const keystore = new CapacitorSecureStorageKeystore(SecureStoragePlugin);
 * ```
 */
export class CapacitorSecureStorageKeystore extends StringKeystore {
  constructor(plugin: CapacitorSecureStoragePlugin, options: StringKeystoreOptions = {}) {
    const protection: KeystoreProtection = {
      adapter: 'capacitor-secure-storage',
      hardwareBacked: 'device-dependent',
      nonExtractable: false,
      survivesAppCodeExecution: false,
      persistent: true,
      biometrics: false,
      excludedFromBackup: 'device-dependent',
    };
    const exists = async (key: string) => (await plugin.keys()).value.includes(key);
    super(
      {
        async read(name) {
          // The plugin rejects for a missing key and for a platform failure alike; asking for
          // the key list tells them apart, so only a real failure becomes an error.
          if (!(await exists(name))) return undefined;
          return (await plugin.get({ key: name })).value;
        },
        async write(name, value) {
          const result = await plugin.set({ key: name, value });
          if (result.value !== true) throw new Error('set returned false');
        },
        async remove(name) {
          if (await exists(name)) await plugin.remove({ key: name });
        },
      },
      protection,
      options,
    );
  }
}
