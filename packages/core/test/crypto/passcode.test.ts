/**
 * The passcode encoding (NFKC, then UTF-8) pinned by a golden vector. The golden passcode is
 * non-ASCII and its NFC and NFKC forms differ, so a switch to NFC, NFD or no normalisation,
 * or to another encoding, fails here.
 */
import { describe, expect, it } from 'vitest';
import { CryptoParameterError, encodePasscode } from '../../src/crypto/index.js';
import { GOLDEN_PASSCODE, GOLDEN_PASSCODE_BYTES } from './helpers/golden-passcode.js';
import { toHex } from './helpers/hex.js';

describe('passcode encoding', () => {
  it('is UTF-8 of NFKC, pinned by a golden vector', () => {
    expect(GOLDEN_PASSCODE.normalize('NFC')).not.toBe(GOLDEN_PASSCODE.normalize('NFKC'));
    expect(toHex(encodePasscode(GOLDEN_PASSCODE))).toBe(GOLDEN_PASSCODE_BYTES);
  });

  it('gives the same bytes for every normalisation form of the same passcode', () => {
    for (const form of ['NFC', 'NFD', 'NFKC', 'NFKD'] as const) {
      expect(toHex(encodePasscode(GOLDEN_PASSCODE.normalize(form)))).toBe(GOLDEN_PASSCODE_BYTES);
    }
  });

  it('keeps passcodes that differ after NFKC apart', () => {
    expect(toHex(encodePasscode('Müller1fiÅ'))).toBe(GOLDEN_PASSCODE_BYTES);
    expect(toHex(encodePasscode('Muller1fiÅ'))).not.toBe(GOLDEN_PASSCODE_BYTES);
    expect(toHex(encodePasscode('müller1fiÅ'))).not.toBe(GOLDEN_PASSCODE_BYTES);
  });

  it('refuses empty, non-string, lone-surrogate and oversized passcodes', () => {
    for (const bad of ['', '\uD83D', 'a\uDE00b', 'x'.repeat(4097), 1234 as unknown as string]) {
      expect(() => encodePasscode(bad)).toThrow(CryptoParameterError);
    }
    expect(encodePasscode('x'.repeat(4096)).length).toBe(4096);
  });
});
