/**
 * The context encoding is canonical and injective: an independent decoder written from
 * docs/crypto.md recovers every context from its encoding (so no two contexts share one), key
 * order does not matter, and inputs that could not be encoded that way are refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CryptoParameterError, type EncryptionContext, encodeContext } from '../../src/crypto/index.js';
import { arbitraryContext, contextKey, contextValue, entriesOf } from './helpers/arbitraries.js';
import { decodeContext } from './helpers/context-decoder.js';
import { toHex } from './helpers/hex.js';

describe('context encoding', () => {
  it('decodes back to the same context (injective), with keys strictly ascending', () => {
    fc.assert(
      fc.property(arbitraryContext, (context) => {
        expect(entriesOf(decodeContext(encodeContext(context)))).toEqual(entriesOf(context));
      }),
      { numRuns: 1000 },
    );
  });

  it('never encodes two different contexts alike, including near-collisions', () => {
    // Pairs built to collide under a naive encoding: entries moved between key and value,
    // '1' against 1, split strings, an entry added or dropped.
    const nearPair = fc
      .tuple(arbitraryContext, contextKey, contextValue, fc.nat(3))
      .map(([base, k, v, how]) => {
        const a: Record<string, string | number> = { ...base };
        const b: Record<string, string | number> = { ...base };
        if (how === 0) {
          a[k] = v;
        } else if (how === 1) {
          a[k] = String(v);
          b[k] = typeof v === 'number' ? v : Number.parseInt(v, 10) || 0;
        } else if (how === 2) {
          // Split by code points, not UTF-16 units, so no lone surrogate is made.
          const [first = '', ...rest] = Array.from(String(v));
          a[k] = `${v}x`;
          b[`${k}${first}`] = `${rest.join('')}x`;
        } else {
          a[k] = v;
          b[k] = `${v}\u0000`;
        }
        return [a, b] as const;
      });
    fc.assert(
      fc.property(fc.oneof(nearPair, fc.tuple(arbitraryContext, arbitraryContext)), ([a, b]) => {
        const sameContext = JSON.stringify(entriesOf(a)) === JSON.stringify(entriesOf(b));
        expect(toHex(encodeContext(a)) === toHex(encodeContext(b))).toBe(sameContext);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not depend on the order of keys', () => {
    fc.assert(
      fc.property(arbitraryContext, (context) => {
        const reversed = Object.fromEntries(entriesOf(context).reverse());
        expect(toHex(encodeContext(reversed))).toBe(toHex(encodeContext(context)));
      }),
    );
  });

  it('keeps classic ambiguities apart', () => {
    const pairs: Array<[EncryptionContext, EncryptionContext]> = [
      [{ a: 'bc' }, { ab: 'c' }],
      [{ a: '1' }, { a: 1 }],
      [{ a: '', b: '' }, { a: '\u0000b' }],
      [{ a: 0 }, { a: '' }],
      [{ é: 'x' }, { 'e\u0301': 'x' }],
    ];
    for (const [a, b] of pairs) expect(toHex(encodeContext(a))).not.toBe(toHex(encodeContext(b)));
  });

  it('sorts keys by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF21 (ef bc a1) sorts before U+1F600 (f0 9f 98 80) in UTF-8, after it in UTF-16.
    const decoded = decodeContext(encodeContext({ '\u{1F600}': 1, '\uFF21': 2 }));
    expect(Object.keys(decoded)).toEqual(['\uFF21', '\u{1F600}']);
  });

  it('encodes the documented layout', () => {
    expect(toHex(encodeContext({}))).toBe('00');
    expect(toHex(encodeContext({ b: -1, a: 'é' }))).toBe(
      ['02', '01', '61', '01', '0002', 'c3a9', '01', '62', '02', 'ffffffffffffffff'].join(''),
    );
  });

  it('refuses what it cannot encode injectively', () => {
    const bad: unknown[] = [
      null,
      'context',
      ['a'],
      { a: 1.5 },
      { a: Number.NaN },
      { a: Number.POSITIVE_INFINITY },
      { a: 2 ** 53 },
      { a: true },
      { a: null },
      { a: undefined },
      { a: {} },
      { a: 1n },
      { '': 'x' },
      { a: '\uD800' },
      { '\uDC00': 'x' },
      { ['k'.repeat(129)]: 'x' },
      { a: 'v'.repeat(4097) },
      Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
      { [Symbol('s')]: 'x' },
      Object.defineProperty({}, 'a', { get: () => 'x', enumerable: true }),
    ];
    for (const context of bad) {
      expect(() => encodeContext(context as EncryptionContext), String(context)).toThrow(
        CryptoParameterError,
      );
    }
    expect(() => encodeContext({ ['k'.repeat(128)]: 'v'.repeat(4096) })).not.toThrow();
  });
});
