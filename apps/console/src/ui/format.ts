/**
 * How the console writes times and durations: one fixed, unambiguous format (UTC), so that what
 * an admin reads and what they copy into a report are the same.
 */

/**
 * An ISO time as `2026-12-06 20:14:03 UTC`; an absent time as an em dash.
 *
 * @example
 * ```ts
 * formatTime('2026-12-06T20:14:03.120Z'); // "2026-12-06 20:14:03 UTC"
 * ```
 */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * Seconds as a short duration: `5 min`, `7 d`, `90 s`.
 *
 * @example
 * ```ts
 * formatDuration(604800); // "7 d"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds > 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** How the console writes the platforms devices report; any other is shown as reported. */
const PLATFORM_NAMES: Readonly<Record<string, string>> = {
  ios: 'iOS',
  ipados: 'iPadOS',
  android: 'Android',
  web: 'Web',
  'web-console': 'Web console',
  electron: 'Electron',
  macos: 'macOS',
  windows: 'Windows',
  linux: 'Linux',
  node: 'Node',
};

/**
 * What to call a device: the name it reported, else what tells it apart — platform and OS
 * version, the start of its id and the day it enrolled (`Android 14 device 3f2a9c1b, enrolled
 * 2026-12-06`). "(unnamed)" told an admin nothing when choosing which device to revoke.
 *
 * @example
 * ```ts
 * deviceLabel({ id: '3f2a9c1b-…', name: null, platform: 'android', osVersion: '14', enrolledAt: '2026-12-06T09:00:00Z' });
 * // "Android 14 device 3f2a9c1b, enrolled 2026-12-06"
 * ```
 */
export function deviceLabel(device: {
  readonly id: string;
  readonly name?: string | null | undefined;
  readonly platform: string;
  readonly osVersion: string;
  readonly enrolledAt: string;
}): string {
  const name = device.name?.trim();
  if (name !== undefined && name !== '') return name;
  return `${deviceKind(device)} ${device.id.slice(0, 8)}, enrolled ${enrolledDay(device)}`;
}

/**
 * A device's platform and OS version as words (`Android 14 device`), for a device without a name;
 * an OS version over 16 characters (a user-agent string) is left to the Platform column.
 *
 * @example
 * ```ts
 * deviceKind({ platform: 'ios', osVersion: '18.1' }); // "iOS 18.1 device"
 * ```
 */
export function deviceKind(device: { readonly platform: string; readonly osVersion: string }): string {
  const platform = PLATFORM_NAMES[device.platform] ?? device.platform;
  const os = device.osVersion.trim();
  // A version, not a browser's whole user-agent string (which the console itself reports).
  return os === '' || os.length > MAX_OS_VERSION ? `${platform} device` : `${platform} ${os} device`;
}

/** The longest OS version put in a device's label; a longer one is in the Platform column. */
const MAX_OS_VERSION = 16;

/**
 * The UTC day a device enrolled (`2026-12-06`).
 *
 * @example
 * ```ts
 * enrolledDay({ enrolledAt: '2026-12-06T09:00:00Z' }); // "2026-12-06"
 * ```
 */
export function enrolledDay(device: { readonly enrolledAt: string }): string {
  return formatTime(device.enrolledAt).slice(0, 10);
}
