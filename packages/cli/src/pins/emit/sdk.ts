/**
 * `--emit sdk`: the pin configuration the Bulwark client SDK reads (shape documented in
 * docs/pins.md): `{ host, pins, backupPins, expires }`, pins as `sha256/<base64>`.
 */
import type { SdkPinConfig } from '@bulwark/core/protocol';
import type { PinRecommendation } from '../recommend.js';

export type { SdkPinConfig } from '@bulwark/core/protocol';

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
