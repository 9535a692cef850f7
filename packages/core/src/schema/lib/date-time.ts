/**
 * Strict RFC 3339 date-time check, hand-written so that it runs in constant time per character
 * and accepts exactly one spelling: `YYYY-MM-DDTHH:MM:SS[.fraction]` followed by `Z` or `±HH:MM`.
 * Uppercase `T` and `Z` only, no leap second (JavaScript dates cannot hold one), 1 to 9 fraction
 * digits, a real calendar day (leap years included).
 */

/** Longest accepted date-time: 19 + 10 (dot and 9 digits) + 6 (offset). */
export const MAX_DATE_TIME_LENGTH = 35;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(s: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Whether `s` is an RFC 3339 date-time with an offset, under the strict profile above. */
export function isDateTime(s: string): boolean {
  const n = s.length;
  if (n < 20 || n > MAX_DATE_TIME_LENGTH) return false;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return false;
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const maxDay = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > maxDay) return false;
  let i = 19;
  if (s[i] === '.') {
    const start = ++i;
    while (i < n && i - start < 10 && digits(s, i, 1) >= 0) i++;
    const fractionDigits = i - start;
    if (fractionDigits < 1 || fractionDigits > 9) return false;
  }
  if (s[i] === 'Z') return i + 1 === n;
  if ((s[i] !== '+' && s[i] !== '-') || i + 6 !== n || s[i + 3] !== ':') return false;
  const offsetHour = digits(s, i + 1, 2);
  const offsetMinute = digits(s, i + 4, 2);
  return offsetHour >= 0 && offsetHour <= 23 && offsetMinute >= 0 && offsetMinute <= 59;
}
