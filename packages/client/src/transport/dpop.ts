/**
 * DPoP proofs (RFC 9449) made with the device key through jose: `typ` dpop+jwt, ES256, the public
 * JWK in the header, `htm`, `htu` (the request URL without query and fragment), `iat` from the
 * injected clock, a random `jti`, `ath` when an access token is sent, and the server `nonce`.
 */

import { type RandomBytes, randomBytes, utf8Encode } from '@bulwark/core/crypto';
import { base64url, SignJWT } from 'jose';
import type { DeviceKey } from './device-key.js';

/**
 * What a proof covers.
 *
 * @example
 * ```ts
 * const input: DpopInput = { method: 'GET', url: 'https://api.example.com/me', accessToken, nonce, now: Date.now() };
 * ```
 */
export interface DpopInput {
  readonly method: string;
  readonly url: string | URL;
  readonly accessToken?: string;
  readonly nonce?: string;
  /** Seconds since the epoch. */
  readonly now: number;
  readonly random?: RandomBytes;
}

/**
 * Signs a DPoP proof.
 *
 * @example
 * ```ts
 * const proof = await createDpopProof(deviceKey, { method: 'POST', url, accessToken, nonce, now: Date.now() / 1000 });
 * ```
 */
export async function createDpopProof(key: DeviceKey, input: DpopInput): Promise<string> {
  const url = new URL(input.url);
  url.search = '';
  url.hash = '';
  const claims: Record<string, unknown> = {
    htm: input.method.toUpperCase(),
    htu: url.href,
    jti: base64url.encode((input.random ?? randomBytes)(18)),
  };
  if (input.accessToken !== undefined) {
    const digest = await globalThis.crypto.subtle.digest('SHA-256', utf8Encode(input.accessToken));
    claims.ath = base64url.encode(new Uint8Array(digest));
  }
  if (input.nonce !== undefined) claims.nonce = input.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
    .setIssuedAt(Math.floor(input.now))
    .sign(key.privateKey);
}
