/**
 * The blind index: the documented construction (HMAC-SHA256 under the HKDF blind-index subkey
 * over scope || value, truncated), pinned by a golden vector; equal normalised values match;
 * different values, scopes and keys do not; it refuses keys that are not its own kind.
 */
import { describe, expect, it } from 'vitest';
import {
  blindIndex,
  CryptoParameterError,
  deriveDataKeys,
  encodeContext,
  generateDataKeyBytes,
  importDataKey,
} from '../../src/crypto/index.js';
import { concat } from '../../src/crypto/lib/bytes.js';
import { hkdfSha256 } from '../../src/crypto/lib/hkdf.js';
import { hmacSha256 } from '../../src/crypto/lib/hmac.js';
import { toHex } from './helpers/hex.js';
import { GOLDEN_DEK, goldenKeys } from './helpers/keys.js';

const scope = { collection: 'patients', field: 'email' };
// Cross-checked once against Python hmac/hashlib and `cryptography` HKDF.
const GOLDEN_BLIND_INDEX = '882131c89b5031b512971e8d8fdd5ea0';

describe('blind index', () => {
  it('matches the golden vector and the documented construction', async () => {
    const { blindIndexKey } = await goldenKeys();
    const index = await blindIndex(blindIndexKey, 'ada@example.org', scope);
    expect(toHex(index)).toBe(GOLDEN_BLIND_INDEX);
    const rawKey = await hkdfSha256(
      GOLDEN_DEK(),
      new Uint8Array(0),
      new TextEncoder().encode('bulwark/v1/blind-index'),
      32,
    );
    const mac = await hmacSha256(
      rawKey,
      concat(encodeContext(scope), encodeContext({ value: 'ada@example.org' })),
    );
    expect(toHex(mac.slice(0, 16))).toBe(GOLDEN_BLIND_INDEX);
  });

  it('is deterministic and matches NFKC-equivalent input', async () => {
    const { blindIndexKey } = await goldenKeys();
    const a = await blindIndex(blindIndexKey, 'Müller', scope);
    expect(toHex(await blindIndex(blindIndexKey, 'Müller', scope))).toBe(toHex(a));
    expect(toHex(await blindIndex(blindIndexKey, 'Mu\u0308ller', scope))).toBe(toHex(a));
    expect(toHex(await blindIndex(blindIndexKey, '\uFF2D\u00FCller', scope))).toBe(toHex(a));
  });

  it('tells different values, types, scopes and keys apart', async () => {
    const { blindIndexKey } = await goldenKeys();
    const other = (await deriveDataKeys(await importDataKey(generateDataKeyBytes()), 'k2')).blindIndexKey;
    const base = toHex(await blindIndex(blindIndexKey, '42', scope));
    const variants = [
      await blindIndex(blindIndexKey, 42, scope),
      await blindIndex(blindIndexKey, '43', scope),
      await blindIndex(blindIndexKey, '42 ', scope),
      await blindIndex(blindIndexKey, '42', { ...scope, field: 'phone' }),
      await blindIndex(blindIndexKey, '42', { ...scope, collection: 'staff' }),
      await blindIndex(other, '42', scope),
    ];
    for (const v of variants) expect(toHex(v)).not.toBe(base);
  });

  it('ignores case only when asked', async () => {
    const { blindIndexKey } = await goldenKeys();
    const lower = toHex(await blindIndex(blindIndexKey, 'ada@example.org', scope, { caseInsensitive: true }));
    expect(toHex(await blindIndex(blindIndexKey, 'Ada@Example.ORG', scope, { caseInsensitive: true }))).toBe(
      lower,
    );
    expect(toHex(await blindIndex(blindIndexKey, 'Ada@Example.ORG', scope))).not.toBe(
      toHex(await blindIndex(blindIndexKey, 'ada@example.org', scope)),
    );
  });

  it('truncates to the requested length, 8 to 32 bytes', async () => {
    const { blindIndexKey } = await goldenKeys();
    const full = await blindIndex(blindIndexKey, 'ada@example.org', scope, { length: 32 });
    const short = await blindIndex(blindIndexKey, 'ada@example.org', scope, { length: 8 });
    expect(full.length).toBe(32);
    expect(toHex(short)).toBe(toHex(full.slice(0, 8)));
    for (const length of [0, 7, 33, 16.5]) {
      await expect(blindIndex(blindIndexKey, 'x', scope, { length })).rejects.toBeInstanceOf(
        CryptoParameterError,
      );
    }
  });

  it('refuses the sealing key, other HMAC hashes and unusable values', async () => {
    const { sealingKey, blindIndexKey } = await goldenKeys();
    await expect(blindIndex(sealingKey.key, 'x', scope)).rejects.toBeInstanceOf(CryptoParameterError);
    const sha512 = await globalThis.crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-512' }, false, [
      'sign',
    ]);
    await expect(blindIndex(sha512, 'x', scope)).rejects.toBeInstanceOf(CryptoParameterError);
    for (const value of [1.5, Number.NaN, '\uD800', null as unknown as string]) {
      await expect(blindIndex(blindIndexKey, value, scope)).rejects.toBeInstanceOf(CryptoParameterError);
    }
  });
});
