/**
 * Configuration of device attestation (`auth.attestation`): the policy, the challenge lifetime
 * and, per platform, the app's identity and trust anchors. A platform left out is not accepted
 * (its evidence fails with `attestation_not_configured`).
 */
import type { AndroidKeyConfig } from './android/key-attestation.js';
import type { RevocationListOptions } from './android/revocation.js';
import type { AppAttestConfig } from './apple/app-attest.js';
import type { PlayIntegrityConfig } from './play-integrity.js';
import type { AttestationPolicyOptions } from './policy.js';

/** Everything attestation needs; every field is optional. */
export interface AttestationOptions {
  readonly policy?: AttestationPolicyOptions;
  /** Seconds a challenge can be used (once); default 300. */
  readonly challengeTtlSeconds?: number;
  readonly apple?: AppAttestConfig;
  readonly android?: AndroidKeyConfig & {
    /** Google's status list: a file (offline) or a URL; required with `android`. */
    readonly revocation: RevocationListOptions;
  };
  readonly playIntegrity?: PlayIntegrityConfig;
}
