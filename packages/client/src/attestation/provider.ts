/**
 * The attestation provider: the small interface the SDK's attestation round trip needs from a
 * platform module (App Attest, Android key attestation, Play Integrity), with one adapter per
 * native module. Evidence is bound to the `clientData` string the server hands out with each
 * challenge (`<challenge>.<device key thumbprint>`); docs/attestation.md gives each platform's
 * binding.
 */
import { BulwarkError } from '@bulwark/core';

/** Evidence as the server's `POST /devices/attestation` takes it. */
export type AttestationEvidence =
  | { readonly kind: 'app_attest'; readonly keyId: string; readonly attestation: string }
  | { readonly kind: 'android_key'; readonly chain: readonly string[] }
  | { readonly kind: 'play_integrity'; readonly token: string }
  | { readonly kind: 'none'; readonly reason: 'pwa' | 'emulator' | 'unsupported' };

/**
 * What a platform module gives the SDK.
 *
 * @example
 * ```ts
 * const provider: AttestationProvider = noAttestation('pwa');
 * ```
 */
export interface AttestationProvider {
  /** Evidence bound to `clientData`. */
  attest(clientData: string): Promise<AttestationEvidence>;
  /** A step-up assertion over `clientData` by the attested key (or a fresh token). */
  assert(clientData: string): Promise<string>;
}

/**
 * The platform cannot attest (no module, unsupported device, the module failed); the module's
 * error is kept as `cause`. Code `attestation_unavailable`.
 *
 * @example
 * ```ts
 * try { await attestDevice(transport, provider); }
 * catch (err) { if (err instanceof AttestationUnavailableError) useFallback(); }
 * ```
 */
export class AttestationUnavailableError extends BulwarkError<'attestation_unavailable'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('attestation_unavailable', message, options);
  }
}

/**
 * The provider of a platform without attestation (a PWA, an emulator in development): it says
 * so, and has nothing to assert with.
 *
 * @example
 * ```ts
 * const provider = noAttestation('pwa');
 * ```
 */
export function noAttestation(reason: 'pwa' | 'emulator' | 'unsupported'): AttestationProvider {
  return {
    async attest() {
      return { kind: 'none', reason };
    },
    async assert() {
      throw new AttestationUnavailableError('this platform has no attested key');
    },
  };
}

/** Runs a module call, turning its failure into {@link AttestationUnavailableError}. */
export async function moduleCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    throw new AttestationUnavailableError(`${what} failed`, { cause });
  }
}

/**
 * The Play Integrity request hash of a client data string: base64url (no padding) of its
 * SHA-256, as the server recomputes it.
 *
 * @example
 * ```ts
 * const requestHash = await requestHashOf(clientData);
 * ```
 */
export async function requestHashOf(clientData: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(clientData)));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
