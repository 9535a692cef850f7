/**
 * The attestation policy: per verdict class, and per route, whether a request is allowed,
 * allowed with a warning, must carry a fresh assertion (step up), or is refused; and the
 * audit-only mode that records what enforcement would do while allowing everything, to roll out
 * safely before enforcing (docs/attestation.md#policy).
 */
import type { VerdictClass } from './verdict.js';

/** What a rule does. */
export type IntegrityAction = 'allow' | 'warn' | 'step_up' | 'refuse';

/** Actions per verdict class; missing entries fall back to the defaults. */
export type IntegrityRules = Partial<Readonly<Record<VerdictClass, IntegrityAction>>>;

/** The attestation policy. */
export interface AttestationPolicyOptions {
  /** `audit` (default) logs what would happen and allows; `enforce` applies the actions. */
  readonly mode?: 'audit' | 'enforce';
  /** Actions for every route; default {@link DEFAULT_RULES}. */
  readonly rules?: IntegrityRules;
  /** Per-route overrides, by the route key given to `requireIntegrity`. */
  readonly routes?: Readonly<Record<string, IntegrityRules>>;
  /** A verified verdict older than this is `stale`; default one day. */
  readonly recheckSeconds?: number;
}

/** The defaults: evidence that failed is refused, a stale verdict needs a fresh assertion. */
export const DEFAULT_RULES: Readonly<Record<VerdictClass, IntegrityAction>> = {
  verified: 'allow',
  stale: 'step_up',
  unavailable: 'warn',
  missing: 'warn',
  failed: 'refuse',
};

/** The decision for one request. */
export interface IntegrityDecision {
  /** What the policy says. */
  readonly action: IntegrityAction;
  /** What happens: in audit mode every action is carried out as `allow` (and logged). */
  readonly effective: IntegrityAction;
  readonly verdict: VerdictClass;
  readonly mode: 'audit' | 'enforce';
}

/**
 * Decides for one verdict class on one route.
 *
 * @example
 * ```ts
 * decideIntegrity({ mode: 'enforce', routes: { transfer: { verified: 'step_up' } } }, 'verified', 'transfer');
 * // { action: 'step_up', effective: 'step_up', verdict: 'verified', mode: 'enforce' }
 * ```
 */
export function decideIntegrity(
  policy: AttestationPolicyOptions,
  verdict: VerdictClass,
  route: string,
): IntegrityDecision {
  const mode = policy.mode ?? 'audit';
  const action = policy.routes?.[route]?.[verdict] ?? policy.rules?.[verdict] ?? DEFAULT_RULES[verdict];
  return { action, effective: mode === 'audit' ? 'allow' : action, verdict, mode };
}
