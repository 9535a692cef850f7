/** Counting a string's Unicode code points, the unit of every string length limit. */

/** Returned by {@link codePointLength} for a string that holds a lone surrogate. */
export const ILL_FORMED = -1;

/**
 * Code points in `s`, or {@link ILL_FORMED} if it has an unpaired surrogate (such a string cannot
 * be encoded as UTF-8 without silently changing it, so it is refused rather than stored).
 */
export function codePointLength(s: string): number {
  let count = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      if (c > 0xdbff) return ILL_FORMED;
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return ILL_FORMED;
      i++;
    }
    count++;
  }
  return count;
}
