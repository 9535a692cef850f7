/**
 * The device's report about itself, sent at enrollment and on every token refresh so the server's
 * device policy can allow, warn or refuse. A platform adapter supplies it (a root/jailbreak
 * detector, the OS screen-lock API, the app version); the SDK does not guess. What the device
 * reports can be forged by a compromised device: it is a signal, attestation is the proof.
 */

/**
 * What the device reports.
 *
 * @example
 * ```ts
 * const report: PostureReport = {
 *   platform: 'android', osVersion: '14', appVersion: '2.3.0',
 *   posture: { rooted: false, screenLock: true, emulator: false },
 * };
 * ```
 */
export interface PostureReport {
  readonly platform: string;
  readonly osVersion: string;
  readonly appVersion: string;
  readonly posture: { readonly rooted: boolean; readonly screenLock: boolean; readonly emulator: boolean };
}

/**
 * A platform adapter that reports the device's posture.
 *
 * @example
 * ```ts
 * const provider: PostureProvider = { report: async () => ({ platform: 'web', osVersion: navigator.userAgent.slice(0, 40), appVersion: '1.0.0', posture: { rooted: false, screenLock: false, emulator: false } }) };
 * ```
 */
export interface PostureProvider {
  report(): Promise<PostureReport>;
}
