/**
 * Strict RFC 3339 date-time check, hand-written so that it runs in constant time per character
 * and accepts exactly one spelling: `YYYY-MM-DDTHH:MM:SS[.fraction]` followed by `Z` or `±HH:MM`.
 * Uppercase `T` and `Z` only, no leap second (JavaScript dates cannot hold one), 1 to 9 fraction
 * digits, a real calendar day (leap years included).
 */

/** Longest accepted date-time: 19 + 10 (dot and 9 digits) + 6 (offset). */
export const MAX_DATE_TIME_LENGTH = 35;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The value of the ASCII digit at `i`: 0 to 9 for a digit, anything else otherwise. */
function digitAt(s: string, i: number): number {
  return s.charCodeAt(i) - 48;
}

/** Negative exactly when `d` (an integer) is not 0 to 9: one sign test covers many digits OR-ed. */
function outOfDigitRange(d: number): number {
  return (9 - d) | d;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
const PLUS = 0x2b;
const UPPER_T = 0x54;
const UPPER_Z = 0x5a;

/**
 * Whether `s` is an RFC 3339 date-time with an offset, under the strict profile above. Reads
 * character codes only, in straight-line code (no substrings, no regex, no Date), so it allocates
 * nothing; a code read past the end is NaN, which equals no expected character. The same check as
 * a `t.dateTime()` field's, for code that must accept exactly what such a field accepts.
 *
 * @example
 * ```ts
 * isDateTime('2030-01-20T08:30:00Z'); // true
 * isDateTime('2030-02-30T08:30:00Z'); // false: no such day
 * ```
 */
export function isDateTime(s: string): boolean {
  const n = s.length;
  if (n < 20 || n > MAX_DATE_TIME_LENGTH) return false;
  if (
    s.charCodeAt(4) !== DASH ||
    s.charCodeAt(7) !== DASH ||
    s.charCodeAt(10) !== UPPER_T ||
    s.charCodeAt(13) !== COLON ||
    s.charCodeAt(16) !== COLON
  ) {
    return false;
  }
  // Positions 0 to 18 exist (n >= 20), so every code read here is an integer.
  const y0 = digitAt(s, 0);
  const y1 = digitAt(s, 1);
  const y2 = digitAt(s, 2);
  const y3 = digitAt(s, 3);
  const mo0 = digitAt(s, 5);
  const mo1 = digitAt(s, 6);
  const d0 = digitAt(s, 8);
  const d1 = digitAt(s, 9);
  const h0 = digitAt(s, 11);
  const h1 = digitAt(s, 12);
  const mi0 = digitAt(s, 14);
  const mi1 = digitAt(s, 15);
  const s0 = digitAt(s, 17);
  const s1 = digitAt(s, 18);
  const notDigits =
    outOfDigitRange(y0) |
    outOfDigitRange(y1) |
    outOfDigitRange(y2) |
    outOfDigitRange(y3) |
    outOfDigitRange(mo0) |
    outOfDigitRange(mo1) |
    outOfDigitRange(d0) |
    outOfDigitRange(d1) |
    outOfDigitRange(h0) |
    outOfDigitRange(h1) |
    outOfDigitRange(mi0) |
    outOfDigitRange(mi1) |
    outOfDigitRange(s0) |
    outOfDigitRange(s1);
  if (notDigits < 0) return false;
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const month = mo0 * 10 + mo1;
  const day = d0 * 10 + d1;
  const hour = h0 * 10 + h1;
  const minute = mi0 * 10 + mi1;
  const second = s0 * 10 + s1;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const maxDay = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > maxDay) return false;
  let i = 19;
  if (s.charCodeAt(i) === DOT) {
    const start = ++i;
    while (i < n && i - start < 10 && outOfDigitRange(digitAt(s, i)) >= 0) i++;
    const fractionDigits = i - start;
    if (fractionDigits < 1 || fractionDigits > 9) return false;
  }
  const c = s.charCodeAt(i);
  if (c === UPPER_Z) return i + 1 === n;
  if ((c !== PLUS && c !== DASH) || i + 6 !== n || s.charCodeAt(i + 3) !== COLON) return false;
  // i + 5 < n here, so these codes are integers too.
  const oh0 = digitAt(s, i + 1);
  const oh1 = digitAt(s, i + 2);
  const om0 = digitAt(s, i + 4);
  const om1 = digitAt(s, i + 5);
  if ((outOfDigitRange(oh0) | outOfDigitRange(oh1) | outOfDigitRange(om0) | outOfDigitRange(om1)) < 0) {
    return false;
  }
  return oh0 * 10 + oh1 <= 23 && om0 * 10 + om1 <= 59;
}
