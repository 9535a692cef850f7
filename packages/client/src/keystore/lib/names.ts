/**
 * Entry names. One alphabet for every adapter: expo-secure-store accepts only alphanumerics,
 * `.`, `-` and `_`, so the SDK uses that everywhere and an app can move between platforms.
 */
import { InvalidArgumentError, KeystoreUnsupportedError } from '../../errors.js';
import type { KeystoreWriteOptions } from '../keystore.js';

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Throws `InvalidArgumentError` unless `name` is a valid entry name. */
export function checkEntryName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidArgumentError('keystore entry names are 1 to 64 characters of A-Z a-z 0-9 . _ -');
  }
}

/**
 * Usages of every keystore key: they are key-encryption keys for core's `wrapDataKey` (encrypt),
 * `unwrapDataKey` (unwrapKey) and `rewrapDataKey` (decrypt), and seal small blobs with `seal`.
 */
export const KEYSTORE_KEY_USAGES: readonly KeyUsage[] = ['encrypt', 'decrypt', 'unwrapKey'];

/** Imports 32 raw bytes as a non-extractable AES-256-GCM key. */
export async function importAesKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, [...KEYSTORE_KEY_USAGES]);
}

/** Generates a non-extractable AES-256-GCM key inside WebCrypto. */
export async function generateAesKey(): Promise<CryptoKey> {
  return globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    ...KEYSTORE_KEY_USAGES,
  ]);
}

/** Refuses a biometric gate on a keystore that has none, instead of silently storing ungated. */
export function refuseBiometrics(options: KeystoreWriteOptions): void {
  if (options.requireBiometrics === true) {
    throw new KeystoreUnsupportedError('this keystore cannot gate entries behind biometrics');
  }
}
