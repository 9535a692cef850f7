/**
 * SPKI pins: base64 of the SHA-256 of the DER SubjectPublicKeyInfo, the form Android's
 * network_security_config, Apple's NSPinnedDomains and HPKP all use. Computed from the public key
 * node:crypto exports as SPKI, so RSA, ECDSA and EdDSA keys are handled the same way.
 */
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';

/**
 * SPKI-SHA256 pin (base64, no `sha256/` prefix) of a certificate or public key.
 *
 * @example
 * ```ts
 * const pin = spkiPin(new X509Certificate(pem)); // 'r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E='
 * ```
 */
export function spkiPin(source: X509Certificate | KeyObject): string {
  const key = source instanceof X509Certificate ? source.publicKey : source;
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/**
 * True for a well-formed pin: base64 of 32 bytes.
 *
 * @example
 * ```ts
 * isPin('r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E='); // true
 * ```
 */
export function isPin(value: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').length === 32;
}
