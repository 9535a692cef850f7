/**
 * Makes text found in a scanned app safe to print. Findings carry text the app's author chose
 * (file names, URLs, evidence), and a crafted file can put terminal escape sequences there: an
 * OSC that retitles the window, a CSI that clears the screen, SGR colours that fake lines of the
 * report, bidi overrides that reorder what is shown. Every such character is replaced by a
 * visible `\xNN` / `\uNNNN` spelling, so the sequence is shown, inert, rather than obeyed; the
 * bytes after an ESC are printable, so escaping the ESC (and the 8-bit CSI/OSC, which are C1
 * characters) disarms the whole sequence.
 */
import type { Finding } from '../types.js';

/**
 * C0 controls, DEL, C1 controls, the bidi marks, embeddings, overrides and isolates, and the
 * Unicode line and paragraph separators (which end a line in some terminals and parsers).
 */
const UNPRINTABLE_TEST =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNPRINTABLE = new RegExp(UNPRINTABLE_TEST.source, 'g');

function spell(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
    : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The text with every control character, escape introducer and bidi control spelled out.
 * Text without any (nearly all of it) is returned as it is.
 *
 * @example
 * ```ts
 * printable('http://evil.test/\u001b]0;pwned\u0007'); // 'http://evil.test/\\x1B]0;pwned\\x07'
 * ```
 */
export function printable(text: string): string {
  return UNPRINTABLE_TEST.test(text) ? text.replace(UNPRINTABLE, spell) : text;
}

/**
 * True when the text holds a character {@link printable} would spell out.
 *
 * @example
 * ```ts
 * hasUnprintable('a\u202eb'); // true
 * ```
 */
export function hasUnprintable(text: string): boolean {
  return UNPRINTABLE_TEST.test(text);
}

/**
 * The finding with every field that can carry text from the scanned app made printable: each
 * output format passes its findings through this, whoever built them, so no format depends on
 * the scanner having cleaned them first.
 *
 * @example
 * ```ts
 * const lines = report.findings.map(printableFinding).map((f) => `${f.file}: ${f.message}`);
 * ```
 */
export function printableFinding(finding: Finding): Finding {
  const { file, message, evidence, fix, ruleId, masvs, mastg, context } = finding;
  const dirty =
    hasUnprintable(file) ||
    hasUnprintable(message) ||
    (evidence !== undefined && hasUnprintable(evidence)) ||
    hasUnprintable(fix) ||
    hasUnprintable(ruleId) ||
    hasUnprintable(masvs) ||
    (mastg !== undefined && hasUnprintable(mastg)) ||
    (context !== undefined && hasUnprintable(context.reason));
  if (!dirty) return finding;
  const clean: Finding = {
    ...finding,
    ruleId: printable(ruleId),
    file: printable(file),
    message: printable(message),
    masvs: printable(masvs),
    fix: printable(fix),
  };
  if (evidence !== undefined) clean.evidence = printable(evidence);
  if (mastg !== undefined) clean.mastg = printable(mastg);
  if (context !== undefined) clean.context = { ...context, reason: printable(context.reason) };
  return clean;
}
