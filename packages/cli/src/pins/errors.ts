/**
 * Errors of `bulwark pins`, each with a stable `code`. The command prints the message, never a
 * stack trace, and exits with {@link PINS_EXIT}.
 */
import { BulwarkError } from '@bulwark/core/errors';

/**
 * The target is not `host[:port]`, or an option value is invalid.
 *
 * @example
 * ```ts
 * parseTarget('api.example.com:99999'); // throws PinsInputError
 * ```
 */
export class PinsInputError extends BulwarkError<'pins_invalid_input'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('pins_invalid_input', message, options);
  }
}

/**
 * The TCP connection or the TLS handshake failed (refused, unknown host, timeout).
 *
 * @example
 * ```ts
 * if (err instanceof PinsConnectError) console.error(err.message);
 * ```
 */
export class PinsConnectError extends BulwarkError<'pins_connect_failed'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('pins_connect_failed', message, options);
  }
}

/**
 * The server's chain does not verify against the trusted CAs (or does not match the host name).
 * Pins are never computed from an unverified chain unless `--insecure` is given.
 *
 * @example
 * ```ts
 * if (err instanceof PinsUntrustedError) console.error(err.message);
 * ```
 */
export class PinsUntrustedError extends BulwarkError<'pins_untrusted_chain'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('pins_untrusted_chain', message, options);
  }
}

/**
 * Exit codes of `bulwark pins`.
 *
 * @example
 * ```ts
 * process.exitCode = PINS_EXIT.network;
 * ```
 */
export const PINS_EXIT = { ok: 0, usage: 2, badInput: 3, network: 4, internal: 70 } as const;
