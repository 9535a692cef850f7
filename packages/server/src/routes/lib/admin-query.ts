/**
 * Query-string values of the admin API that a JSON schema cannot check alone: the `since` and
 * `until` date-times of the event list and its `type` filter. Refusals are 400 problems with
 * stable codes (`invalid_date`, `invalid_request`).
 */
import { HttpProblem } from '../../http/problem.js';

/** Most event types one events query may name. */
export const MAX_EVENT_TYPES = 30;
const EVENT_TYPE = /^[a-z][a-z0-9_]{0,59}$/;
/** ISO 8601 date-time with an explicit zone (`Z` or ±hh:mm); seconds and fractions optional. */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const invalidDate = (name: string) =>
  new HttpProblem(
    400,
    'invalid_date',
    `${name} must be an ISO 8601 date-time such as 2030-01-15T09:00:00Z.`,
    {
      issues: [
        { path: `/${name}`, code: 'invalid_date', message: 'not an ISO 8601 date-time with a time zone' },
      ],
    },
  );

/**
 * A `since`/`until` value as the stored form of event times (`toISOString`, UTC, milliseconds);
 * 400 `invalid_date` for anything else, including impossible dates (February 30th) that
 * `Date.parse` would roll over.
 *
 * @example
 * ```ts
 * parseDateTime('since', '2030-01-15T10:00:00+01:00'); // '2030-01-15T09:00:00.000Z'
 * ```
 */
export function parseDateTime(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = DATE_TIME.exec(value);
  if (m === null) throw invalidDate(name);
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? '0')) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000);
  const offsetHours = Number(m[9] ?? '0');
  const offsetMinutes = Number(m[10] ?? '0');
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (
    year < 1 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    throw invalidDate(name);
  }
  const sign = m[8] === '-' ? -1 : 1;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, millis);
  const ms = utc.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const out = new Date(ms);
  // Outside years 1..9999 the ISO form gains a sign and no longer sorts as text.
  if (out.getUTCFullYear() < 1 || out.getUTCFullYear() > 9999) throw invalidDate(name);
  return out.toISOString();
}

/**
 * The `type` filter of the event list: repeated and/or comma-separated names, deduplicated;
 * 400 `invalid_request` for more than {@link MAX_EVENT_TYPES} or a name that is not an event
 * type's shape. An unknown but well-formed name matches nothing.
 *
 * @example
 * ```ts
 * parseEventTypes(['login_failed,login_throttled', 'dpop_replay']); // three names
 * ```
 */
export function parseEventTypes(raw: readonly string[] | undefined): string[] {
  const types = [...new Set((raw ?? []).flatMap((t) => t.split(',')).map((t) => t.trim()))].filter(
    (t) => t !== '',
  );
  if (types.length > MAX_EVENT_TYPES || !types.every((t) => EVENT_TYPE.test(t))) {
    throw new HttpProblem(400, 'invalid_request', `type takes up to ${MAX_EVENT_TYPES} event type names.`, {
      issues: [
        { path: '/type', code: 'pattern', message: 'event types are lower-case names such as login_failed' },
      ],
    });
  }
  return types;
}
