/**
 * The one verdict model of device attestation: whatever the platform's evidence (Apple App
 * Attest, Android key attestation, Play Integrity) or its absence (a PWA, an emulator in
 * development), the server stores one {@link Verdict} per device and the policy decides on its
 * class. docs/attestation.md says what each kind of evidence proves.
 */
import type { AttestationFailureCode } from './errors.js';

/** Which evidence produced a verdict. */
export type EvidenceKind = 'app_attest' | 'android_key' | 'play_integrity' | 'none';

/** The outcome of one verification. */
export type VerdictStatus = 'verified' | 'failed' | 'unavailable';

/** Facts the evidence established, shown to admins (never secrets). */
export type VerdictFacts = Readonly<Record<string, string | number | boolean | readonly string[]>>;

/** A verification outcome as stored with the device. */
export interface Verdict {
  readonly kind: EvidenceKind;
  readonly status: VerdictStatus;
  /** The failed step, when `status` is `failed`. */
  readonly failure?: AttestationFailureCode;
  /** `production` or `development` (App Attest), when the evidence says. */
  readonly environment?: 'production' | 'development';
  readonly facts: VerdictFacts;
  /** Epoch ms of the verification. */
  readonly checkedAt: number;
}

/**
 * What the policy looks at: the verdict's status, `missing` before any evidence was submitted,
 * and `stale` when a verified verdict is older than the policy's re-check interval.
 */
export type VerdictClass = 'verified' | 'failed' | 'unavailable' | 'missing' | 'stale';

/**
 * The class of a device's verdict at `nowMs`.
 *
 * @example
 * ```ts
 * verdictClass(undefined, Date.now(), 86_400); // 'missing'
 * ```
 */
export function verdictClass(
  verdict: Verdict | undefined,
  nowMs: number,
  recheckSeconds: number,
): VerdictClass {
  if (verdict === undefined) return 'missing';
  if (verdict.status !== 'verified') return verdict.status;
  return nowMs - verdict.checkedAt > recheckSeconds * 1000 ? 'stale' : 'verified';
}
