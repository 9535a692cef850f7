/**
 * Wycheproof AES-GCM vectors against the raw AES-GCM pair that the envelope and the key wrap use.
 * The 66 vectors of the profile (256-bit key, 96-bit IV, 128-bit tag) must give exactly the
 * expected result; every vector of every other group must be refused by the parameter check
 * before WebCrypto is reached.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CryptoParameterError, DecryptionError } from '../../src/crypto/index.js';
import { aesGcmDecrypt, aesGcmEncrypt } from '../../src/crypto/lib/aes-gcm.js';
import { fromHex, toHex } from './helpers/hex.js';
import { loadWycheproof, type WycheproofTest } from './helpers/wycheproof.js';

interface AeadTest extends WycheproofTest {
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
}
interface AeadGroup {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: AeadTest[];
}

const file = loadWycheproof<AeadGroup>('aes_gcm_test.json');
const inProfile = (g: AeadGroup) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128;
const profileTests = file.testGroups.filter(inProfile).flatMap((g) => g.tests);
const otherTests = file.testGroups.filter((g) => !inProfile(g)).flatMap((g) => g.tests);

function params(t: AeadTest) {
  return { key: fromHex(t.key), iv: fromHex(t.iv), additionalData: fromHex(t.aad), tagLength: 128 };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Wycheproof AES-GCM (aes_gcm_test.json)', () => {
  it('has exactly 66 vectors in the 256/96/128 profile and accounts for every vector', () => {
    expect(profileTests).toHaveLength(66);
    expect(profileTests.length + otherTests.length).toBe(file.numberOfTests);
    // The file has no 'acceptable' results: every vector states one outcome.
    expect([...profileTests, ...otherTests].every((t) => t.result !== 'acceptable')).toBe(true);
  });

  it.each(profileTests.map((t) => [t.tcId, t.result, t.comment || t.flags.join(','), t] as const))(
    'tcId %i (%s) %s',
    async (_id, result, _comment, t) => {
      const expected = t.ct + t.tag;
      if (result === 'valid') {
        const sealed = await aesGcmEncrypt({ ...params(t), plaintext: fromHex(t.msg) });
        expect(toHex(sealed.ciphertext) + toHex(sealed.tag)).toBe(expected);
        const opened = await aesGcmDecrypt({ ...params(t), ciphertext: fromHex(t.ct), tag: fromHex(t.tag) });
        expect(toHex(opened)).toBe(t.msg);
      } else {
        await expect(
          aesGcmDecrypt({ ...params(t), ciphertext: fromHex(t.ct), tag: fromHex(t.tag) }),
        ).rejects.toBeInstanceOf(DecryptionError);
        // Encrypting the message gives the genuine ciphertext, which is not the modified one.
        const sealed = await aesGcmEncrypt({ ...params(t), plaintext: fromHex(t.msg) });
        expect(toHex(sealed.ciphertext) + toHex(sealed.tag)).not.toBe(expected);
      }
    },
  );

  it('refuses all 250 vectors of the other groups up front, without calling WebCrypto', async () => {
    const subtle = globalThis.crypto.subtle;
    const spies = [vi.spyOn(subtle, 'importKey'), vi.spyOn(subtle, 'encrypt'), vi.spyOn(subtle, 'decrypt')];
    let refused = 0;
    for (const t of otherTests) {
      await expect(aesGcmEncrypt({ ...params(t), plaintext: fromHex(t.msg) })).rejects.toBeInstanceOf(
        CryptoParameterError,
      );
      await expect(
        aesGcmDecrypt({ ...params(t), ciphertext: fromHex(t.ct), tag: fromHex(t.tag) }),
      ).rejects.toBeInstanceOf(CryptoParameterError);
      refused++;
    }
    expect(refused).toBe(250);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});
