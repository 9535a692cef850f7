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

type IsWellFormed = (this: string) => boolean;

/**
 * `String.prototype.isWellFormed` (ES2024) where the engine has it, read once at load. Engines
 * answer it without a scan for strings they store one byte a character, the common case.
 */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: IsWellFormed }).isWellFormed;

/** Whether `s` holds no unpaired surrogate, by scanning it: the fallback of {@link isWellFormed}. */
export function isWellFormedByScan(s: string): boolean {
  return codePointLength(s) !== ILL_FORMED;
}

/** Whether `s` holds no unpaired surrogate: the native check where there is one, else a scan. */
export const isWellFormed: (s: string) => boolean =
  typeof nativeIsWellFormed === 'function' ? (s) => nativeIsWellFormed.call(s) : isWellFormedByScan;
