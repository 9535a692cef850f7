/**
 * Which code rules run on a source file: those whose needed literals the file holds, now found
 * in one pass of the prefilter over the file's bytes instead of a `String.includes` per literal.
 * The answer must be the same on the bytes as on the decoded text, for any bytes (invalid UTF-8,
 * characters outside ASCII, needs cut by a multi-byte character), and a file that holds none is
 * not decoded at all.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODE_NEEDS, checkSource, needsIn } from '../../src/audit/rules/code.js';

const expected = (text: string) => new Set(CODE_NEEDS.filter((n) => text.includes(n)));

describe('the literals the code rules need', () => {
  const needs = fc.constantFrom(...CODE_NEEDS);
  const piece = fc.oneof(
    needs,
    needs.map((n) => n.slice(0, -1)),
    fc.constantFrom('é', '😀', '\u00a0', ' ', '\n', '(', '.', 'K', 'e', 'y'),
    fc.string({ maxLength: 6 }),
  );
  const texts = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));

  it('are found in the text as String.includes finds them', () => {
    expect(CODE_NEEDS.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(texts, (text) => {
        expect(needsIn(text)).toEqual(expected(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('are found in the bytes of a file as in its decoded text, whatever the bytes', () => {
    const bytes = fc
      .array(
        fc.oneof(
          texts.map((t) => Buffer.from(t, 'utf8')),
          fc.uint8Array({ maxLength: 8 }),
        ),
        {
          maxLength: 12,
        },
      )
      .map((parts) => Buffer.concat(parts));
    fc.assert(
      fc.property(bytes, (buf) => {
        expect(needsIn(buf)).toEqual(expected(buf.toString('utf8')));
      }),
      { numRuns: 1000 },
    );
  });

  it('decide the rules that run, so findings are those of the text', () => {
    const source = 'Cipher c = Cipher.getInstance("AES/ECB/PKCS5Padding");\nLog.d(TAG, password);\n';
    const ids = (present?: ReadonlySet<string>) =>
      checkSource(source, 'Crypto.java', present).map((f) => f.ruleId);
    expect(ids()).toEqual(ids(needsIn(Buffer.from(source))));
    expect(ids()).toContain('storage-secret-in-log');
  });
});
