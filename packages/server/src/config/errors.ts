/** Errors of the data configuration (`bulwark.config.ts`). */
import { BulwarkError } from '@bulwark/core';

/**
 * The configuration module cannot be loaded or is not valid (no schema export, rules for an
 * unknown collection, a bad rule, a required serverOnly field that no hook sets). The server
 * refuses to start; the message says what and where.
 *
 * @example
 * ```ts
 * try { await loadConfig('bulwark.config.ts'); } catch (e) { if (e instanceof ConfigError) console.error(e.message); }
 * ```
 */
export class ConfigError extends BulwarkError<'config_invalid'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('config_invalid', message, options);
  }
}
