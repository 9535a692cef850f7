/**
 * Error base class of Bulwark. Every failure is a subclass with a stable `code` that callers
 * switch on; the same codes appear as the `code` member of HTTP problem+json responses and in
 * `docs/errors.md`.
 */

/**
 * Base class of every error Bulwark throws on purpose.
 *
 * @example
 * ```ts
 * try {
 *   await open(keyring, envelope, context);
 * } catch (err) {
 *   if (err instanceof BulwarkError && err.code === 'decryption_failed') showCorruptedRecord();
 * }
 * ```
 */
export class BulwarkError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
