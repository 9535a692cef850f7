/**
 * The envelope: golden bytes, the layout of docs/crypto.md, key lookup and rotation, the usage
 * limit, and every way to open one that must fail (unknown key id, wrong key, other context,
 * truncation, extension, other format) with the one generic error.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CryptoParameterError,
  DecryptionError,
  type EncryptionContext,
  Keyring,
  KeyUsageLimitError,
  NIST_RANDOM_IV_LIMIT,
  open,
  readEnvelopeKeyId,
  SealingKey,
  seal,
} from '../../src/crypto/index.js';
import { aesGcmEncrypt } from '../../src/crypto/lib/aes-gcm.js';
import { hkdfSha256 } from '../../src/crypto/lib/hkdf.js';
import type { BulwarkError } from '../../src/errors.js';
import { fromHex, toHex } from './helpers/hex.js';
import { GOLDEN_DEK, goldenKeys, randomSealingKey } from './helpers/keys.js';
import { scriptedRandom } from './helpers/scripted-random.js';

const text = (s: string) => new TextEncoder().encode(s);
const context: EncryptionContext = {
  collection: 'patients',
  recordId: 'p-42',
  field: 'diagnosis',
  schemaVersion: 3,
};

// Written out from the layout in docs/crypto.md, field by field.
const hexOf = (...fields: string[]) => fields.join('');
const GOLDEN_HEADER = hexOf('11', '01', '05', toHex(text('dek-1')));
const GOLDEN_CONTEXT = hexOf(
  '04',
  hexOf('0a', toHex(text('collection')), '01', '0008', toHex(text('patients'))),
  hexOf('05', toHex(text('field')), '01', '0009', toHex(text('diagnosis'))),
  hexOf('08', toHex(text('recordId')), '01', '0004', toHex(text('p-42'))),
  hexOf('0d', toHex(text('schemaVersion')), '02', '0000000000000003'),
);
const GOLDEN_IV = 'a0a1a2a3a4a5a6a7a8a9aaab';
// Cross-checked once against an independent implementation (Python `cryptography`, OpenSSL)
// of the documented layout: HKDF subkey, AAD = header || context, AES-256-GCM.
const GOLDEN_ENVELOPE =
  '11010564656b2d31a0a1a2a3a4a5a6a7a8a9aaab76ee4e0443f21abb53d4fe9d96a634afed0beee3cc06d2';

afterEach(() => {
  vi.restoreAllMocks();
});

async function expectGenericFailure(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DecryptionError);
  const e = err as DecryptionError;
  expect(e.code).toBe('decryption_failed');
  expect(e.message).toBe('decryption failed');
  expect(e.cause).toBeUndefined();
}

describe('envelope golden vector', () => {
  it('seals the golden input to the exact bytes of the documented layout', async () => {
    const { sealingKey } = await goldenKeys();
    const envelope = await seal(sealingKey, text('J45.909'), context, {
      random: scriptedRandom(fromHex(GOLDEN_IV)),
    });
    expect(toHex(envelope)).toBe(GOLDEN_ENVELOPE);
    expect(toHex(envelope.subarray(0, 8))).toBe(GOLDEN_HEADER);
    expect(toHex(envelope.subarray(8, 20))).toBe(GOLDEN_IV);
    expect(new TextDecoder().decode(await open(new Keyring(sealingKey), envelope, context))).toBe('J45.909');
  });

  it('is AES-256-GCM under the HKDF subkey with AAD = header || context', async () => {
    const rawKey = await hkdfSha256(GOLDEN_DEK(), new Uint8Array(0), text('bulwark/v1/field-sealing'), 32);
    const { ciphertext, tag } = await aesGcmEncrypt({
      key: rawKey,
      iv: fromHex(GOLDEN_IV),
      additionalData: fromHex(GOLDEN_HEADER + GOLDEN_CONTEXT),
      tagLength: 128,
      plaintext: text('J45.909'),
    });
    expect(GOLDEN_HEADER + GOLDEN_IV + toHex(ciphertext) + toHex(tag)).toBe(GOLDEN_ENVELOPE);
  });

  it('opens the golden envelope from its bytes alone', async () => {
    const { sealingKey } = await goldenKeys();
    const plaintext = await open(new Map([['dek-1', sealingKey]]), fromHex(GOLDEN_ENVELOPE), context);
    expect(new TextDecoder().decode(plaintext)).toBe('J45.909');
  });
});

describe('seal and open', () => {
  it('draws a fresh IV for every message by default', async () => {
    const key = await randomSealingKey();
    const a = await seal(key, text('same'), context);
    const b = await seal(key, text('same'), context);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(toHex(a.subarray(6, 18))).not.toBe(toHex(b.subarray(6, 18)));
  });

  it('takes the IV from the randomness source and nowhere else', async () => {
    const key = await randomSealingKey('k1');
    const iv = fromHex('000102030405060708090a0b');
    const envelope = await seal(key, text('x'), context, { random: scriptedRandom(iv) });
    // header: 11 01 02 'k1' (5 bytes), then the IV
    expect(toHex(envelope.subarray(5, 17))).toBe(toHex(iv));
  });

  it('refuses a randomness source that returns the wrong length', async () => {
    const key = await randomSealingKey();
    await expect(
      seal(key, text('x'), context, { random: (n) => new Uint8Array(n - 1) }),
    ).rejects.toBeInstanceOf(CryptoParameterError);
  });

  it('seals and opens an empty plaintext', async () => {
    const key = await randomSealingKey();
    const envelope = await seal(key, new Uint8Array(0), context);
    expect(envelope.length).toBe(5 + 12 + 16);
    expect((await open(new Keyring(key), envelope, context)).length).toBe(0);
  });

  it('refuses a non-Uint8Array plaintext and an invalid context before using the key', async () => {
    const key = await randomSealingKey();
    await expect(seal(key, 'text' as never, context)).rejects.toBeInstanceOf(CryptoParameterError);
    await expect(seal(key, text('x'), { schemaVersion: 1.5 })).rejects.toBeInstanceOf(CryptoParameterError);
    await expect(seal(key, text('x'), { n: Number.MAX_SAFE_INTEGER + 1 })).rejects.toBeInstanceOf(
      CryptoParameterError,
    );
    expect(key.sealCount).toBe(0);
  });
});

describe('opening fails generically', () => {
  it('with an unknown key id', async () => {
    const key = await randomSealingKey('k1');
    const envelope = await seal(key, text('secret'), context);
    await expectGenericFailure(open(new Keyring(await randomSealingKey('k2')), envelope, context));
    await expectGenericFailure(open(new Map(), envelope, context));
  });

  it('with a different key under the same id', async () => {
    const envelope = await seal(await randomSealingKey('k1'), text('secret'), context);
    await expectGenericFailure(open(new Keyring(await randomSealingKey('k1')), envelope, context));
  });

  it('with another context: record, field, collection, schema version, extra or missing entry', async () => {
    const key = await randomSealingKey();
    const keyring = new Keyring(key);
    const envelope = await seal(key, text('secret'), context);
    const others: EncryptionContext[] = [
      { ...context, recordId: 'p-43' },
      { ...context, field: 'notes' },
      { ...context, collection: 'staff' },
      { ...context, schemaVersion: 4 },
      { ...context, schemaVersion: '3' },
      { ...context, tenant: 't1' },
      { collection: 'patients', recordId: 'p-42', field: 'diagnosis' },
      {},
    ];
    for (const other of others) await expectGenericFailure(open(keyring, envelope, other));
    expect(new TextDecoder().decode(await open(keyring, envelope, { ...context }))).toBe('secret');
  });

  it('when truncated to any length, or extended by a byte', async () => {
    const key = await randomSealingKey();
    const keyring = new Keyring(key);
    const envelope = await seal(key, text('secret'), context);
    for (let length = 0; length < envelope.length; length++) {
      await expectGenericFailure(open(keyring, envelope.slice(0, length), context));
    }
    const longer = new Uint8Array(envelope.length + 1);
    longer.set(envelope);
    await expectGenericFailure(open(keyring, longer, context));
  });

  it('with the same message whatever failed', async () => {
    const key = await randomSealingKey();
    const envelope = await seal(key, text('secret'), context);
    const messages = new Set<string>();
    const other = await randomSealingKey();
    for (const attempt of [
      () => open(new Map(), envelope, context),
      () => open(new Keyring(key), envelope, { ...context, field: 'x' }),
      () => open(new Keyring(key), envelope.slice(0, 20), context),
      () => open(new Keyring(other), envelope, context),
    ]) {
      messages.add(
        await attempt().then(String, (e: unknown) => `${(e as BulwarkError).code}: ${(e as Error).message}`),
      );
    }
    expect([...messages]).toEqual(['decryption_failed: decryption failed']);
  });
});

describe('parameters outside the profile are refused up front', () => {
  it('refuses an unknown format version or algorithm byte without decrypting', async () => {
    const key = await randomSealingKey();
    const envelope = await seal(key, text('secret'), context);
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    for (const [offset, value] of [
      [0, 0x12],
      [0, 0x01],
      [0, 0x21],
      [1, 0x02],
      [1, 0x00],
    ] as const) {
      const changed = envelope.slice();
      changed[offset] = value;
      const err = await open(new Keyring(key), changed, context).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CryptoParameterError);
      expect((err as CryptoParameterError).code).toBe('crypto_parameters');
    }
    expect(decrypt).not.toHaveBeenCalled();
  });

  it('refuses sealing keys that are not AES-256-GCM encrypt+decrypt keys', async () => {
    const subtle = globalThis.crypto.subtle;
    const aes128 = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt', 'decrypt']);
    const cbc = await subtle.generateKey({ name: 'AES-CBC', length: 256 }, false, ['encrypt', 'decrypt']);
    const encryptOnly = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    for (const key of [aes128, cbc, encryptOnly]) {
      expect(() => new SealingKey('k1', key)).toThrow(CryptoParameterError);
    }
    await expect(SealingKey.import('k1', new Uint8Array(16))).rejects.toBeInstanceOf(CryptoParameterError);
    await expect(SealingKey.import('k1', new Uint8Array(24))).rejects.toBeInstanceOf(CryptoParameterError);
  });

  it('refuses malformed key ids', async () => {
    for (const id of ['', 'a'.repeat(65), 'ключ', 'a b', 'a/b', 'k\u0000']) {
      await expect(SealingKey.import(id, new Uint8Array(32))).rejects.toBeInstanceOf(CryptoParameterError);
    }
    await expect(SealingKey.import('a'.repeat(64), new Uint8Array(32))).resolves.toBeInstanceOf(SealingKey);
  });
});

describe('key rotation and the usage limit', () => {
  it('opens envelopes of every key in the keyring and seals with the primary', async () => {
    const k1 = await randomSealingKey('k1');
    const k2 = await randomSealingKey('k2');
    const keyring = new Keyring(k1);
    const old = await seal(keyring.primary, text('old'), context);
    keyring.rotate(k2);
    const fresh = await seal(keyring.primary, text('new'), context);
    expect(readEnvelopeKeyId(old)).toBe('k1');
    expect(readEnvelopeKeyId(fresh)).toBe('k2');
    expect(new TextDecoder().decode(await open(keyring, old, context))).toBe('old');
    expect(new TextDecoder().decode(await open(keyring, fresh, context))).toBe('new');
    expect(keyring.ids.sort()).toEqual(['k1', 'k2']);
    expect(() => keyring.add(k1)).not.toThrow();
    expect(() => keyring.add(new SealingKey('k1', k2.key))).toThrow(CryptoParameterError);
  });

  it('counts seals and refuses sealing past the limit', async () => {
    const key = await randomSealingKey('k1', { sealLimit: 3 });
    const first = await seal(key, text('x'), context);
    for (let i = 0; i < 2; i++) await seal(key, text('x'), context);
    expect(key.sealCount).toBe(3);
    const err = await seal(key, text('x'), context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyUsageLimitError);
    expect((err as KeyUsageLimitError).code).toBe('key_usage_limit');
    expect(key.sealCount).toBe(3);
    // Opening is not limited.
    expect(new TextDecoder().decode(await open(new Keyring(key), first, context))).toBe('x');
  });

  it('resumes a persisted count and defaults to the NIST limit of 2^32', async () => {
    const resumed = await randomSealingKey('k1', { sealCount: NIST_RANDOM_IV_LIMIT - 1 });
    expect(resumed.sealLimit).toBe(2 ** 32);
    await seal(resumed, text('x'), context);
    await expect(seal(resumed, text('x'), context)).rejects.toBeInstanceOf(KeyUsageLimitError);
  });

  it('refuses a limit above 2^32 or a malformed count', async () => {
    const raw = new Uint8Array(32);
    await expect(SealingKey.import('k1', raw, { sealLimit: 2 ** 32 + 1 })).rejects.toBeInstanceOf(
      CryptoParameterError,
    );
    await expect(SealingKey.import('k1', raw, { sealCount: -1 })).rejects.toBeInstanceOf(
      CryptoParameterError,
    );
    await expect(SealingKey.import('k1', raw, { sealCount: 0.5 })).rejects.toBeInstanceOf(
      CryptoParameterError,
    );
  });
});
