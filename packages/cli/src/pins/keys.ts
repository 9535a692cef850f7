/** Spare keys for backup pins: read from a certificate, public key or private key file (PEM or DER). */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PinsInputError } from './errors.js';
import { isPin, spkiPin } from './spki.js';

/**
 * SPKI pin of the key in `path`.
 *
 * @example
 * ```ts
 * const spare = await pinOfKeyFile('spare-key.pub.pem');
 * ```
 */
export async function pinOfKeyFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'I/O error';
    throw new PinsInputError(`${path}: cannot be read (${code}).`, { cause: err });
  }
  const text = bytes.toString('latin1');
  try {
    if (text.includes('-----BEGIN CERTIFICATE-----')) return spkiPin(new X509Certificate(bytes));
    if (text.includes('-----BEGIN')) return spkiPin(createPublicKey(bytes));
  } catch (err) {
    throw new PinsInputError(`${path}: not a readable PEM certificate or key.`, { cause: err });
  }
  for (const attempt of [
    () => spkiPin(new X509Certificate(bytes)),
    () => spkiPin(createPublicKey({ key: bytes, format: 'der', type: 'spki' })),
    () => spkiPin(createPublicKey(createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }))),
  ]) {
    try {
      return attempt();
    } catch {
      // Try the next DER form.
    }
  }
  throw new PinsInputError(`${path}: not a certificate, public key or private key (PEM or DER).`);
}

/**
 * Validates a pin given on the command line (`sha256/` prefix optional).
 *
 * @example
 * ```ts
 * normalisePin('sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=');
 * ```
 */
export function normalisePin(value: string): string {
  const pin = value.startsWith('sha256/') ? value.slice(7) : value;
  if (!isPin(pin)) throw new PinsInputError(`${value}: a pin is base64 of a 32-byte SHA-256 digest.`);
  return pin;
}
