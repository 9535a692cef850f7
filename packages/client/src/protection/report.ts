/**
 * The protection report: what this install really protects, per platform, for the app to show
 * (a settings screen, a support page) instead of a blanket "encrypted". It is built from what
 * the adapters state about themselves and matches docs/platforms.md.
 */
import type { KeystoreProtection } from '../keystore/keystore.js';

/** A platform family the SDK knows. */
export type Platform = 'browser' | 'node' | 'electron' | 'react-native' | 'capacitor';

/**
 * Inputs of {@link protectionReport}.
 *
 * @example
 * ```ts
 * const input: ProtectionInput = { platform: 'browser', keystore: keystore.protection, storeBackend: 'indexeddb', wholeRecord: false, passcode: true, pinning: false };
 * ```
 */
export interface ProtectionInput {
  readonly platform: Platform;
  readonly keystore: KeystoreProtection;
  /** `kind` of the store backend. */
  readonly storeBackend: string;
  /** Some collection uses whole-record mode (plain fields sealed too). */
  readonly wholeRecord: boolean;
  /** The vault has a passcode. */
  readonly passcode: boolean;
  /**
   * TLS pinning is active for the SDK's requests (the Node pinned fetch, or a native network
   * security config that covers them). Not for a Capacitor app on iOS whose requests run in
   * WKWebView: ATS pins are not applied there (docs/platforms.md).
   */
  readonly pinning: boolean;
  /**
   * The operating system under a WebView platform (`capacitor`). On `ios`, `pinning` is never
   * reported as protected: the app's requests run in WKWebView, where ATS pins do not apply.
   */
  readonly os?: 'ios' | 'android';
}

/**
 * One protection, answered plainly.
 *
 * @example
 * ```ts
 * const line: ProtectionItem = { id: 'keys_hardware_backed', protected: false, detail: 'keys are software keys' };
 * ```
 */
export interface ProtectionItem {
  readonly id: string;
  readonly protected: boolean | 'device-dependent';
  readonly detail: string;
}

/**
 * The report.
 *
 * @example
 * ```ts
 * const report: ProtectionReport = protectionReport(input);
 * for (const item of report.items) console.log(item.id, item.protected);
 * ```
 */
export interface ProtectionReport {
  readonly platform: Platform;
  readonly keystore: string;
  readonly items: readonly ProtectionItem[];
}

/**
 * Builds the protection report of an install.
 *
 * @example
 * ```ts
 * const report = protectionReport({ platform: 'react-native', keystore: keystore.protection, storeBackend: 'sqlite', wholeRecord: true, passcode: true, pinning: true });
 * ```
 */
export function protectionReport(input: ProtectionInput): ProtectionReport {
  const k = input.keystore;
  const items: ProtectionItem[] = [
    {
      id: 'sensitive_fields_encrypted_at_rest',
      protected: true,
      detail:
        'sensitive fields are sealed with AES-256-GCM under the vault data key before they reach the database',
    },
    {
      id: 'plain_fields_encrypted_at_rest',
      protected: input.wholeRecord,
      detail: input.wholeRecord
        ? 'collections in whole-record mode seal every field; other collections keep plain fields in clear'
        : 'plain fields are stored in clear by design; record ids and timestamps are always in clear',
    },
    {
      id: 'keys_hardware_backed',
      protected: k.hardwareBacked,
      detail:
        k.hardwareBacked === 'device-dependent'
          ? 'the OS keychain/keystore uses secure hardware where the device has it'
          : k.hardwareBacked
            ? 'keys are held by secure hardware'
            : 'keys are software keys protected by the platform (browser profile, file permissions)',
    },
    {
      id: 'keys_non_extractable',
      protected: k.nonExtractable,
      detail: k.nonExtractable
        ? 'the key-encryption key is a non-extractable WebCrypto key: app code can use it but never read it'
        : 'the key-encryption key bytes pass through app memory when loaded from the keystore',
    },
    {
      id: 'survives_code_running_in_the_app',
      protected: k.survivesAppCodeExecution,
      detail:
        'script or code running inside the app (same origin, same process) can ask the keystore to unlock; only a passcode it does not know stops it',
    },
    {
      id: 'passcode_required',
      protected: input.passcode,
      detail: input.passcode
        ? 'unlocking needs the passcode (Argon2id) as well as the keystore key; wrong passcodes are limited'
        : 'the keystore alone unlocks the data; anyone who can run code as the app can read it',
    },
    {
      id: 'copied_data_useless_without_device',
      protected: k.excludedFromBackup === true ? true : k.excludedFromBackup,
      detail:
        k.excludedFromBackup === true
          ? 'keystore entries are device-only: a backup or copied database cannot be decrypted elsewhere'
          : k.excludedFromBackup === false
            ? 'the keys travel with a backup or copy of the app data (browser profile, user folder); only a passcode then protects the copy'
            : 'whether keystore entries travel with backups depends on the platform and its settings',
    },
    input.platform === 'capacitor' && input.os === 'ios'
      ? {
          id: 'tls_pinning',
          protected: false,
          detail:
            'requests from WKWebView are not pinned on iOS (ATS NSPinnedDomains does not apply to WebView loads); the platform trust store decides',
        }
      : {
          id: 'tls_pinning',
          protected: input.pinning,
          detail: input.pinning
            ? 'the server key is pinned (SPKI SHA-256, with a backup pin)'
            : 'the platform trust store decides; pin with createPinnedFetch (Node) or the native config from `bulwark pins`',
        },
    {
      id: 'remote_wipe',
      protected: true,
      detail:
        'a revoked device destroys its keys and data on its next contact, or after the offline grace period without one',
    },
  ];
  return { platform: input.platform, keystore: k.adapter, items };
}
