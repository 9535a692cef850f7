/**
 * Wycheproof HMAC-SHA256, HKDF-SHA256 and PBKDF2-HMAC-SHA256 vectors against the primitives the
 * blind index, the subkeys and the passcode KEKs are built on. Every vector of every file runs.
 */
import { describe, expect, it } from 'vitest';
import { CryptoParameterError } from '../../src/crypto/index.js';
import { hkdfSha256 } from '../../src/crypto/lib/hkdf.js';
import { hmacSha256 } from '../../src/crypto/lib/hmac.js';
import { pbkdf2Sha256 } from '../../src/crypto/lib/pbkdf2.js';
import { fromHex, toHex } from './helpers/hex.js';
import { loadWycheproof, type WycheproofTest } from './helpers/wycheproof.js';

interface MacTest extends WycheproofTest {
  key: string;
  msg: string;
  tag: string;
}
interface HkdfTest extends WycheproofTest {
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
}
interface PbkdfTest extends WycheproofTest {
  password: string;
  salt: string;
  iterationCount: number;
  dkLen: number;
  dk: string;
}

describe('Wycheproof HMAC-SHA256 (hmac_sha256_test.json)', () => {
  const file = loadWycheproof<{ tagSize: number; tests: MacTest[] }>('hmac_sha256_test.json');
  const tests = file.testGroups.flatMap((g) => g.tests.map((t) => ({ ...t, tagBytes: g.tagSize / 8 })));

  it('runs all 174 vectors', () => {
    expect(tests).toHaveLength(174);
    expect(tests.length).toBe(file.numberOfTests);
  });

  // Groups with tagSize 128 test truncated tags: the tag is the first 16 bytes of the HMAC.
  it.each(tests.map((t) => [t.tcId, t.result, t.tagBytes, t] as const))(
    'tcId %i (%s, %i-byte tag)',
    async (_id, result, tagBytes, t) => {
      const mac = toHex((await hmacSha256(fromHex(t.key), fromHex(t.msg))).slice(0, tagBytes));
      if (result === 'valid') expect(mac).toBe(t.tag);
      else expect(mac).not.toBe(t.tag);
    },
  );
});

describe('Wycheproof HKDF-SHA256 (hkdf_sha256_test.json)', () => {
  const file = loadWycheproof<{ tests: HkdfTest[] }>('hkdf_sha256_test.json');
  const tests = file.testGroups.flatMap((g) => g.tests);

  it('runs all 86 vectors', () => {
    expect(tests).toHaveLength(86);
    expect(tests.length).toBe(file.numberOfTests);
  });

  it.each(tests.map((t) => [t.tcId, t.result, t] as const))('tcId %i (%s)', async (_id, result, t) => {
    const derive = () => hkdfSha256(fromHex(t.ikm), fromHex(t.salt), fromHex(t.info), t.size);
    if (result === 'valid') expect(toHex(await derive())).toBe(t.okm);
    // The invalid vectors ask for more than 255 * 32 bytes; that is a parameter error.
    else await expect(derive()).rejects.toBeInstanceOf(CryptoParameterError);
  });
});

describe('Wycheproof PBKDF2-HMAC-SHA256 (pbkdf2_hmacsha256_test.json)', () => {
  const file = loadWycheproof<{ tests: PbkdfTest[] }>('pbkdf2_hmacsha256_test.json');
  const tests = file.testGroups.flatMap((g) => g.tests);

  it('runs all 60 vectors, none excluded (the largest count is 80,000 iterations)', () => {
    expect(tests).toHaveLength(60);
    expect(tests.length).toBe(file.numberOfTests);
    expect(tests.every((t) => t.result === 'valid')).toBe(true);
  });

  // The raw primitive has no passcode floor (vectors use 1 to 80,000 iterations); passwords are
  // raw bytes, including ones that are not UTF-8, because normalisation happens a layer above.
  it.each(tests.map((t) => [t.tcId, t.iterationCount, t] as const))(
    'tcId %i (%i iterations)',
    async (_id, iterations, t) => {
      const dk = await pbkdf2Sha256(fromHex(t.password), fromHex(t.salt), iterations, t.dkLen);
      expect(toHex(dk)).toBe(t.dk);
    },
  );
});
