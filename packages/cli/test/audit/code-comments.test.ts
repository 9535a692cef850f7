/**
 * The blanking of comments before the code rules run, against a naive reference (every
 * character of a comment but line feeds made a space by a regex): the same text for any mix of
 * comments, strings, escapes, line ends and characters outside ASCII, so that the code rules see
 * exactly what they saw before the blanking was made faster.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blankComments } from '../../src/audit/rules/code.js';

/** The reference: the first implementation, a regex replace per comment. */
function reference(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === c || d === 10) {
          i++;
          break;
        } else i++;
      }
    } else if (c === 47 && (text.charCodeAt(i + 1) === 47 || text.charCodeAt(i + 1) === 42)) {
      const line = text.charCodeAt(i + 1) === 47;
      let end = line ? text.indexOf('\n', i) : text.indexOf('*/', i + 2);
      end = end === -1 ? n : line ? end : end + 2;
      out += text.slice(copied, i) + text.slice(i, end).replace(/[^\n]/g, ' ');
      copied = end;
      i = end;
    } else {
      i++;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

describe('blankComments', () => {
  const piece = fc.oneof(
    fc.constantFrom('/*', '*/', '//', '/', '*', '"', "'", '\\', '\n', '\r\n', ' ', 'x', 'é', '😀', '\t'),
    fc.string({ maxLength: 8 }),
    fc.constant('x'.repeat(1500)),
  );
  const texts = fc.array(piece, { maxLength: 60 }).map((p) => p.join(''));

  it('blanks exactly what the reference blanks, keeping every offset and line feed', () => {
    fc.assert(
      fc.property(texts, (text) => {
        const blanked = blankComments(text);
        expect(blanked).toBe(reference(text));
        expect(blanked).toHaveLength(text.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('blanks block and line comments, not the strings that look like them', () => {
    expect(blankComments('a /* b */ "c // d" // e')).toBe('a         "c // d"     ');
    expect(blankComments('x /* 1\n2 */ y\n// z\nw')).toBe('x     \n     y\n    \nw');
    expect(blankComments('/* never closed\nstill comment')).toBe('               \n             ');
  });
});
