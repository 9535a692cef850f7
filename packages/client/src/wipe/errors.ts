/**
 * The failure of a wipe (docs/client.md, "Wipe"), with a stable `code`.
 */
import { BulwarkError } from '@bulwark/core';

/**
 * A wipe ran every step but some failed (a file could not be deleted, the keystore refused).
 * Every other step still ran; the failures are in `errors`. Call `wipe()` again to retry: what
 * is already gone is skipped harmlessly.
 *
 * @example
 * ```ts
 * try { await wiper.wipe('manual'); } catch (err) {
 *   if (err instanceof WipeIncompleteError) scheduleRetry(); // wipe_incomplete
 * }
 * ```
 */
export class WipeIncompleteError extends BulwarkError<'wipe_incomplete'> {
  readonly errors: readonly unknown[];

  constructor(errors: readonly unknown[]) {
    super('wipe_incomplete', `the wipe could not finish ${errors.length} step(s)`, { cause: errors[0] });
    this.errors = errors;
  }
}
