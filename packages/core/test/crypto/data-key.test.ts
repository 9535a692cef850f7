/**
 * Data keys and their subkeys: the HKDF labels are pinned (the subkeys equal HKDF-SHA256 of the
 * data key with the documented info strings), the subkeys are independent and non-extractable,
 * and malformed data keys are refused.
 */
import { describe, expect, it } from 'vitest';
import {
  CryptoParameterError,
  deriveDataKeys,
  generateDataKeyBytes,
  importDataKey,
  SealingKey,
  seal,
} from '../../src/crypto/index.js';
import { hkdfSha256 } from '../../src/crypto/lib/hkdf.js';
import { fromHex, toHex } from './helpers/hex.js';
import { GOLDEN_DEK, goldenKeys } from './helpers/keys.js';
import { scriptedRandom } from './helpers/scripted-random.js';

// Cross-checked once against Python `cryptography` HKDF.
const GOLDEN_SEALING_KEY = '76888bc9fdea4126109cd47ef6e4b24b5b4d809220650122550e154b2a93ec18';
const GOLDEN_BLIND_INDEX_KEY = 'a77bc7f9fd261a8d553bdd64dc5efea07d4e0689a3d359eee7f3158ba1a1c196';

const info = (s: string) => new TextEncoder().encode(s);
const ctx = { collection: 'c', recordId: 'r', field: 'f', schemaVersion: 1 };
const IV = fromHex('000000000000000000000001');

describe('data keys', () => {
  it('derives the documented subkeys (HKDF-SHA256, empty salt, bulwark/v1/... labels)', async () => {
    const none = new Uint8Array(0);
    expect(toHex(await hkdfSha256(GOLDEN_DEK(), none, info('bulwark/v1/field-sealing'), 32))).toBe(
      GOLDEN_SEALING_KEY,
    );
    expect(toHex(await hkdfSha256(GOLDEN_DEK(), none, info('bulwark/v1/blind-index'), 32))).toBe(
      GOLDEN_BLIND_INDEX_KEY,
    );
    // The non-extractable sealing key behaves exactly like the documented raw subkey.
    const { sealingKey } = await goldenKeys();
    const reference = await SealingKey.import('dek-1', fromHex(GOLDEN_SEALING_KEY));
    const a = await seal(sealingKey, info('x'), ctx, { random: scriptedRandom(IV) });
    const b = await seal(reference, info('x'), ctx, { random: scriptedRandom(IV) });
    expect(toHex(a)).toBe(toHex(b));
    // And not like the blind-index subkey or the data key itself.
    for (const raw of [GOLDEN_BLIND_INDEX_KEY, toHex(GOLDEN_DEK())]) {
      const wrong = await SealingKey.import('dek-1', fromHex(raw));
      expect(toHex(await seal(wrong, info('x'), ctx, { random: scriptedRandom(IV) }))).not.toBe(toHex(a));
    }
  });

  it('keeps every key non-extractable', async () => {
    const dataKey = await importDataKey(GOLDEN_DEK());
    const { sealingKey, blindIndexKey } = await deriveDataKeys(dataKey, 'dek-1');
    expect([dataKey.extractable, sealingKey.key.extractable, blindIndexKey.extractable]).toEqual([
      false,
      false,
      false,
    ]);
    await expect(globalThis.crypto.subtle.exportKey('raw', sealingKey.key)).rejects.toThrow();
  });

  it('generates fresh 32-byte data keys', () => {
    const a = generateDataKeyBytes();
    const b = generateDataKeyBytes();
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(() => generateDataKeyBytes({ random: (n) => new Uint8Array(n - 1) })).toThrow(
      CryptoParameterError,
    );
  });

  it('refuses data keys that are not 32 bytes or not HKDF keys', async () => {
    for (const length of [0, 16, 31, 33, 64]) {
      await expect(importDataKey(new Uint8Array(length))).rejects.toBeInstanceOf(CryptoParameterError);
    }
    const aes = await globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
    ]);
    await expect(deriveDataKeys(aes, 'dek-1')).rejects.toBeInstanceOf(CryptoParameterError);
    await expect(deriveDataKeys(await importDataKey(GOLDEN_DEK()), 'bad id')).rejects.toBeInstanceOf(
      CryptoParameterError,
    );
  });
});
