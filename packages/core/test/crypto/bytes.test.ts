/**
 * The shared byte helpers of `@bulwark/core/crypto` (which the client SDK uses instead of copies):
 * base64 round-trips, agrees with Node's encoder, and refuses every text that is not the one
 * canonical padded encoding; UTF-8 decoding is strict.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesEqual,
  concatBytes,
  fromBase64,
  toBase64,
  utf8Decode,
  utf8Encode,
} from '../../src/crypto/index.js';

describe('base64', () => {
  it('round-trips any bytes and agrees with Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = toBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(fromBase64(text)).toEqual(new Uint8Array(bytes));
      }),
    );
  });

  it('refuses anything but the canonical padded text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const decoded = fromBase64(text);
        return decoded === undefined || toBase64(decoded) === text;
      }),
    );
    for (const text of ['AQI', 'AQI==', 'AR==', 'AQ=I', 'A QI=', 'AQI-', '====', 'é===']) {
      expect(fromBase64(text), text).toBeUndefined();
    }
  });
});

describe('bytes', () => {
  it('compares, concatenates and decodes strictly', () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
        expect(bytesEqual(a, b)).toBe(Buffer.compare(a, b) === 0);
        expect(concatBytes(a, b)).toEqual(new Uint8Array([...a, ...b]));
      }),
    );
    expect(utf8Decode(utf8Encode('héllo ✓'))).toBe('héllo ✓');
    expect(() => utf8Decode(new Uint8Array([0xc3]))).toThrow(TypeError);
  });
});
