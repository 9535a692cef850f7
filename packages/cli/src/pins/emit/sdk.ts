/**
 * `--emit sdk`: the pin configuration the Bulwark client SDK reads (shape documented in
 * docs/pins.md): `{ host, pins, backupPins, expires }`, pins as `sha256/<base64>`.
 */
import type { PinRecommendation } from '../recommend.js';

/**
 * The SDK's pin configuration for one host.
 *
 * @example
 * ```ts
 * const config: SdkPinConfig = { host: 'api.example.com', pins: ['sha256/…'], backupPins: ['sha256/…'], expires: '2027-01-31T00:00:00.000Z' };
 * ```
 */
export interface SdkPinConfig {
  host: string;
  pins: string[];
  backupPins: string[];
  /** ISO 8601 instant after which the SDK stops enforcing these pins. */
  expires: string;
}

/**
 * Builds the SDK pin configuration.
 *
 * @example
 * ```ts
 * const config = sdkPinConfig(recommendation);
 * ```
 */
export function sdkPinConfig(rec: PinRecommendation): SdkPinConfig {
  return {
    host: rec.host,
    pins: rec.primary.map((p) => `sha256/${p.pin}`),
    backupPins: rec.backup.map((p) => `sha256/${p.pin}`),
    expires: rec.expires.toISOString(),
  };
}

/**
 * Renders the SDK pin configuration as JSON.
 *
 * @example
 * ```ts
 * await writeFile('bulwark-pins.json', emitSdk(recommendation));
 * ```
 */
export function emitSdk(rec: PinRecommendation): string {
  return `${JSON.stringify(sdkPinConfig(rec), null, 2)}\n`;
}
