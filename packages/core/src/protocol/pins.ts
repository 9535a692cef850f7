/**
 * The SDK pin configuration: the file `bulwark pins --emit sdk` writes and the Node client's
 * pinned fetch reads (docs/pins.md). `expires` is required on both sides: pins that never expire
 * lock out every installed copy of an app the day the server's keys change beyond the backup
 * pin, while pins that expire fall back to normal certificate validation, as Android's
 * `<pin-set expiration>` does.
 *
 * @example
 * ```ts
 * import type { SdkPinConfig } from '@bulwark/core/protocol';
 * const config = JSON.parse(text) as SdkPinConfig;
 * ```
 */

/**
 * The SDK's pin configuration for one host.
 *
 * @example
 * ```ts
 * const config: SdkPinConfig = {
 *   host: 'api.example.com',
 *   pins: ['sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E='],
 *   backupPins: ['sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg='],
 *   expires: '2027-01-31T00:00:00.000Z',
 * };
 * ```
 */
export interface SdkPinConfig {
  /** The host the pins apply to (exact match, lower case). */
  readonly host: string;
  /** SPKI SHA-256 pins of the keys in use, `sha256/<base64>`. */
  readonly pins: readonly string[];
  /** Pins of keys kept in reserve for a rotation, `sha256/<base64>`; at least one. */
  readonly backupPins: readonly string[];
  /** ISO 8601 instant after which the pins are no longer enforced (normal validation continues). */
  readonly expires: string;
}
