/**
 * The one error class of attestation checks. Each failed verification step has its own stable
 * `code` (docs/errors.md#attestation); the HTTP answer to a device only says
 * `device_attestation_failed`, the code goes to the stored verdict and the security log.
 */
import { BulwarkError } from '@bulwark/core';

/** Codes of the verification steps that can fail. */
export type AttestationFailureCode =
  | 'attestation_malformed'
  | 'attestation_wrong_root'
  | 'attestation_certificate_expired'
  | 'attestation_certificate_revoked'
  | 'attestation_revocation_unavailable'
  | 'attestation_nonce_mismatch'
  | 'attestation_key_mismatch'
  | 'attestation_app_mismatch'
  | 'attestation_signing_digest_mismatch'
  | 'attestation_counter_invalid'
  | 'attestation_environment_mismatch'
  | 'attestation_software_key'
  | 'attestation_boot_unverified'
  | 'attestation_signature_invalid'
  | 'attestation_token_invalid'
  | 'attestation_token_stale'
  | 'attestation_device_verdict_failed'
  | 'attestation_app_verdict_failed'
  | 'attestation_not_configured';

/**
 * A verification step failed.
 *
 * @example
 * ```ts
 * try { await verifier.verify(evidence); }
 * catch (err) { if (err instanceof AttestationError) log(err.code); }
 * ```
 */
export class AttestationError extends BulwarkError {
  override readonly code: AttestationFailureCode;
  constructor(code: AttestationFailureCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.code = code;
  }
}
