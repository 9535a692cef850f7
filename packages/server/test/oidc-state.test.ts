/**
 * The OIDC state token (identity/federation/oidc-state.ts): what it seals opens again, with the
 * same nonce and PKCE verifier; a changed bit, another provider's or another secret's state, a
 * truncated, lengthened or non-canonical spelling does not open; the state tells neither the
 * nonce nor the verifier.
 */
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OIDC_STATE_LENGTH, OidcStateCodec } from '../src/identity/federation/oidc-state.js';

const secret = randomBytes(32);
const codec = new OidcStateCodec(secret, 'op');
const jktOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64url');
const request = fc.record({
  jkt: fc.uint8Array({ minLength: 1, maxLength: 64 }).map(jktOf),
  redirectIndex: fc.integer({ min: 0, max: 255 }),
  expiresAtMs: fc.integer({ min: 0, max: 2 ** 47 }),
});

describe('OIDC state', () => {
  it('opens what it sealed, with the nonce and verifier it gave, and nothing else', () => {
    fc.assert(
      fc.property(request, (r) => {
        const sealed = codec.seal(r);
        expect(sealed.state).toHaveLength(OIDC_STATE_LENGTH);
        expect(sealed.state).toMatch(/^[A-Za-z0-9_-]+$/);
        // RFC 7636 §4.1: 43 to 128 unreserved characters.
        expect(sealed.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(codec.open(sealed.state)).toEqual({ ...r, nonce: sealed.nonce, verifier: sealed.verifier });
        // The state does not hold the nonce or the verifier.
        const bytes = Buffer.from(sealed.state, 'base64url');
        expect(bytes.includes(Buffer.from(sealed.verifier, 'base64url'))).toBe(false);
        expect(sealed.state.includes(sealed.nonce.slice(0, 16))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('gives every start its own state, nonce and verifier', () => {
    const r = { jkt: jktOf(Buffer.from('k')), redirectIndex: 0, expiresAtMs: 1 };
    const a = codec.seal(r);
    const b = codec.seal(r);
    expect(new Set([a.state, b.state]).size).toBe(2);
    expect(new Set([a.nonce, b.nonce, a.verifier, b.verifier]).size).toBe(4);
  });

  it('does not open with any bit changed', () => {
    fc.assert(
      fc.property(request, fc.nat(), fc.integer({ min: 0, max: 7 }), (r, at, bit) => {
        const bytes = Buffer.from(codec.seal(r).state, 'base64url');
        const i = at % bytes.length;
        bytes[i] = (bytes[i] as number) ^ (1 << bit);
        expect(codec.open(bytes.toString('base64url'))).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it("does not open another provider's or another server's state, nor a misspelt one", () => {
    const { state } = codec.seal({ jkt: jktOf(Buffer.from('k')), redirectIndex: 1, expiresAtMs: 5 });
    expect(new OidcStateCodec(secret, 'other').open(state)).toBeUndefined();
    expect(new OidcStateCodec(randomBytes(32), 'op').open(state)).toBeUndefined();
    for (const bad of [
      '',
      state.slice(1),
      `${state}A`,
      `${state.slice(0, -1)}=`,
      state.replace(/[A-Za-z]/, '+'),
      'x'.repeat(43),
      'x'.repeat(OIDC_STATE_LENGTH),
    ]) {
      expect(codec.open(bad), bad).toBeUndefined();
    }
  });

  it('refuses to seal what it could not open again', () => {
    expect(() => codec.seal({ jkt: 'not-a-thumbprint', redirectIndex: 0, expiresAtMs: 1 })).toThrow(
      RangeError,
    );
    expect(() => codec.seal({ jkt: jktOf(Buffer.from('k')), redirectIndex: 256, expiresAtMs: 1 })).toThrow(
      RangeError,
    );
  });
});
