/**
 * Fakes of the mobile keystore plugins, behaving as their documentation says: values are strings
 * only (anything else is rejected as the native bridge would), expo-secure-store keys use
 * `A-Z a-z 0-9 . - _` and values over 2048 bytes get a warning, `*_THIS_DEVICE_ONLY` entries are
 * missing after a backup is restored onto a device, biometric entries bound to the current set
 * become unreadable after a new enrolment, and the Capacitor plugin rejects `get` and `remove`
 * of a missing key.
 */

interface Entry {
  value: string;
  accessible: string | number | undefined;
  biometric: boolean;
  enrolment: number;
}

const THIS_DEVICE_ONLY = /ThisDeviceOnly$/;

export class FakeReactNativeKeychain {
  readonly ACCESSIBLE = {
    WHEN_UNLOCKED: 'AccessibleWhenUnlocked',
    WHEN_UNLOCKED_THIS_DEVICE_ONLY: 'AccessibleWhenUnlockedThisDeviceOnly',
  };
  readonly ACCESS_CONTROL = { BIOMETRY_CURRENT_SET: 'BiometryCurrentSet' };
  readonly entries = new Map<string, Entry & { username: string }>();
  readonly calls: Array<{ method: string; options: unknown }> = [];
  #enrolment = 0;
  cancelPrompt = false;

  async setGenericPassword(
    username: string,
    password: string,
    options: { service?: string; accessible?: string; accessControl?: string } = {},
  ): Promise<false | { service: string; storage: string }> {
    this.calls.push({ method: 'set', options });
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new TypeError('username and password must be strings');
    }
    const service = options.service ?? 'default';
    this.entries.set(service, {
      username,
      value: password,
      accessible: options.accessible,
      biometric: options.accessControl === this.ACCESS_CONTROL.BIOMETRY_CURRENT_SET,
      enrolment: this.#enrolment,
    });
    return { service, storage: 'keychain' };
  }

  async getGenericPassword(
    options: { service?: string; accessControl?: string; authenticationPrompt?: { title?: string } } = {},
  ): Promise<false | { username: string; password: string; service: string; storage: string }> {
    this.calls.push({ method: 'get', options });
    const service = options.service ?? 'default';
    const entry = this.entries.get(service);
    if (entry === undefined) return false;
    if (entry.biometric) {
      if (entry.enrolment !== this.#enrolment) throw new Error('Key permanently invalidated');
      if (this.cancelPrompt) throw new Error('User canceled the operation');
    }
    return { username: entry.username, password: entry.value, service, storage: 'keychain' };
  }

  async resetGenericPassword(options: { service?: string } = {}): Promise<boolean> {
    this.entries.delete(options.service ?? 'default');
    return true;
  }

  /** The app's data comes back from a backup on a new device: device-only items do not. */
  simulateBackupRestore(): void {
    for (const [service, entry] of this.entries) {
      if (typeof entry.accessible === 'string' && THIS_DEVICE_ONLY.test(entry.accessible)) {
        this.entries.delete(service);
      }
    }
  }

  enrollNewBiometric(): void {
    this.#enrolment += 1;
  }
}

export class FakeExpoSecureStore {
  readonly WHEN_UNLOCKED = 5;
  readonly WHEN_UNLOCKED_THIS_DEVICE_ONLY = 6;
  readonly entries = new Map<string, Entry>();
  readonly warnings: string[] = [];
  #enrolment = 0;

  async getItemAsync(
    key: string,
    options: { requireAuthentication?: boolean; keychainAccessible?: number } = {},
  ): Promise<string | null> {
    this.#checkKey(key);
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.biometric) {
      if (options.requireAuthentication !== true) throw new Error('Authentication required');
      if (entry.enrolment !== this.#enrolment)
        throw new Error('Could not decrypt the value: key invalidated');
    }
    return entry.value;
  }

  async setItemAsync(
    key: string,
    value: string,
    options: { requireAuthentication?: boolean; keychainAccessible?: number } = {},
  ): Promise<void> {
    this.#checkKey(key);
    if (typeof value !== 'string')
      throw new Error('Invalid value provided to SecureStore. Values must be strings');
    if (new TextEncoder().encode(value).length > 2048) {
      this.warnings.push(
        'Value being stored in SecureStore is larger than 2048 bytes and it may not be stored',
      );
    }
    this.entries.set(key, {
      value,
      accessible: options.keychainAccessible,
      biometric: options.requireAuthentication === true,
      enrolment: this.#enrolment,
    });
  }

  async deleteItemAsync(key: string): Promise<void> {
    this.#checkKey(key);
    this.entries.delete(key);
  }

  simulateBackupRestore(): void {
    for (const [key, entry] of this.entries) {
      if (entry.accessible === this.WHEN_UNLOCKED_THIS_DEVICE_ONLY) this.entries.delete(key);
    }
  }

  enrollNewBiometric(): void {
    this.#enrolment += 1;
  }

  #checkKey(key: string): void {
    if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) {
      throw new Error(
        `Invalid key provided to SecureStore. Keys must not be empty and contain only alphanumeric characters, ".", "-", and "_".`,
      );
    }
  }
}

export class FakeCapacitorSecureStorage {
  readonly entries = new Map<string, { value: string; readable: boolean }>();

  async get(options: { key: string }): Promise<{ value: string }> {
    const entry = this.entries.get(options.key);
    if (entry === undefined) throw new Error('Item with given key does not exist');
    if (!entry.readable) throw new Error('javax.crypto.AEADBadTagException');
    return { value: entry.value };
  }

  async set(options: { key: string; value: string }): Promise<{ value: boolean }> {
    if (typeof options.value !== 'string') throw new Error('Must provide a value');
    this.entries.set(options.key, { value: options.value, readable: true });
    return { value: true };
  }

  async remove(options: { key: string }): Promise<{ value: boolean }> {
    if (!this.entries.delete(options.key)) throw new Error('Item with given key does not exist');
    return { value: true };
  }

  async keys(): Promise<{ value: string[] }> {
    return { value: [...this.entries.keys()] };
  }

  /** Android auto-backup restores the encrypted preferences but not the Keystore key under them. */
  simulateAndroidBackupRestore(): void {
    for (const entry of this.entries.values()) entry.readable = false;
  }
}
