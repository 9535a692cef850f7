/**
 * The device policy: from a device's posture report and versions, decide allow, allow with
 * warning, or refuse, and carry the settings the device must apply (lock timeout, failed-unlock
 * limit, offline grace period). The decision and settings are delivered signed by the server
 * key (see devices/signed-policy.ts) so that a man in the middle cannot relax them.
 *
 * A posture report is the device's own claim: a rooted device can lie about being rooted.
 * The policy raises the bar for honest and unmodified apps; docs/identity.md says so.
 */

/** What a rule does when it matches. */
export type PolicyAction = 'allow' | 'warn' | 'refuse';

/** The posture a device reports at enrollment and refresh. */
export interface Posture {
  readonly rooted: boolean;
  readonly screenLock: boolean;
  readonly emulator: boolean;
}

import type { DeviceSettings, PolicyClaims, PolicyFinding } from '@bulwark/core/protocol';

export type { DeviceSettings, PolicyFinding } from '@bulwark/core/protocol';

/** Configuration of the policy; every field has a default. */
export interface DevicePolicyOptions {
  /** Rooted or jailbroken devices; default `refuse`. */
  readonly rooted?: PolicyAction;
  /** Emulators and simulators; default `warn`. */
  readonly emulator?: PolicyAction;
  /** Devices without a screen lock; default `refuse`. */
  readonly screenLockMissing?: PolicyAction;
  /** Lowest accepted app version (dotted numbers, e.g. `2.4.0`); default none. */
  readonly minAppVersion?: string;
  /** What an older app gets; default `refuse`. */
  readonly appVersionTooOld?: PolicyAction;
  /** Accepted platforms; default all. */
  readonly allowedPlatforms?: readonly string[];
  readonly settings?: Partial<DeviceSettings>;
}

/** The decision for one device. */
export type PolicyDecision = PolicyClaims;

/** What the policy looks at. */
export interface DeviceFacts {
  readonly platform: string;
  readonly appVersion: string;
  readonly posture: Posture;
}

export const DEFAULT_SETTINGS: DeviceSettings = {
  lockTimeoutSeconds: 300,
  failedUnlockLimit: 10,
  offlineGraceSeconds: 7 * 24 * 3600,
};

/**
 * Compares dotted version strings numerically (`2.10.0` > `2.9.1`); a missing or
 * non-numeric part counts as 0, and pre-release suffixes are ignored.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) =>
    v
      .split('-')[0]
      ?.split('.')
      .map((p) => Number.parseInt(p, 10) || 0) ?? [];
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Applies the policy to one device.
 *
 * @example
 * ```ts
 * const d = evaluatePolicy({ rooted: 'refuse' }, {
 *   platform: 'android', appVersion: '1.0.0', posture: { rooted: true, screenLock: true, emulator: false },
 * });
 * d.decision; // 'refuse'
 * d.findings[0]?.code; // 'device_rooted'
 * ```
 */
export function evaluatePolicy(options: DevicePolicyOptions, facts: DeviceFacts): PolicyDecision {
  const findings: PolicyFinding[] = [];
  const add = (action: PolicyAction, code: string, message: string) => {
    if (action !== 'allow') findings.push({ code, action, message });
  };
  if (options.allowedPlatforms !== undefined && !options.allowedPlatforms.includes(facts.platform)) {
    add('refuse', 'platform_not_allowed', `The platform ${facts.platform} is not allowed.`);
  }
  if (facts.posture.rooted) {
    add(options.rooted ?? 'refuse', 'device_rooted', 'The device is rooted or jailbroken.');
  }
  if (!facts.posture.screenLock) {
    add(options.screenLockMissing ?? 'refuse', 'screen_lock_missing', 'Set a screen lock on the device.');
  }
  if (facts.posture.emulator) {
    add(options.emulator ?? 'warn', 'device_emulator', 'The app runs in an emulator.');
  }
  if (options.minAppVersion !== undefined && compareVersions(facts.appVersion, options.minAppVersion) < 0) {
    add(
      options.appVersionTooOld ?? 'refuse',
      'app_version_too_old',
      `Update the app to version ${options.minAppVersion} or later.`,
    );
  }
  const decision = findings.some((f) => f.action === 'refuse')
    ? 'refuse'
    : findings.length > 0
      ? 'warn'
      : 'allow';
  return { decision, findings, settings: { ...DEFAULT_SETTINGS, ...options.settings } };
}
