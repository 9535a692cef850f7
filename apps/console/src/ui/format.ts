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
