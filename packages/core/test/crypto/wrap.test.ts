/**
 * Key wrapping: golden wrapped keys for PBKDF2 and Argon2id, keystore keys, re-wrapping, and
 * the rules that protect a wrapped key: KDF floors refused with `kdf_too_weak` before anything is
 * derived, absurd parameters refused as parameter errors, a wrong passcode or any tampering
 * failing generically, and the header bound as AAD.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CryptoParameterError,
  DecryptionError,
  deriveDataKeys,
  generateKeyEncryptionKey,
  importDataKey,
  KdfTooWeakError,
  readWrappedKeyHeader,
  rewrapDataKey,
  seal,
  unwrapDataKey,
  wrapDataKey,
} from '../../src/crypto/index.js';
import { argon2idRaw } from '../../src/crypto/lib/argon2id.js';
import { pbkdf2Sha256 } from '../../src/crypto/lib/pbkdf2.js';
import { BulwarkError } from '../../src/errors.js';
import { GOLDEN_PASSCODE, GOLDEN_PASSCODE_BYTES } from './helpers/golden-passcode.js';
import { fromHex, toHex } from './helpers/hex.js';
import { fingerprint, GOLDEN_DEK } from './helpers/keys.js';
import { scriptedRandom } from './helpers/scripted-random.js';

// Counts Argon2id runs so the tests can prove that refused parameters derive nothing.
const argon2Calls = vi.hoisted(() => ({ count: 0 }));
vi.mock('hash-wasm', async (importOriginal) => {
  const original = await importOriginal<typeof import('hash-wasm')>();
  return {
    ...original,
    argon2id: (...args: Parameters<typeof original.argon2id>) => {
      argon2Calls.count++;
      return original.argon2id(...args);
    },
  };
});

const SALT = 'b0b1b2b3b4b5b6b7b8b9babbbcbdbebf';
const IV = 'c0c1c2c3c4c5c6c7c8c9cacb';
const KEY_ID = toHex(new TextEncoder().encode('dek-1'));

// Headers written out from the layout in docs/crypto.md.
const PBKDF2_HEADER = `21 02 01 05 ${KEY_ID} 000927c0 10 ${SALT}`.replace(/ /g, '');
const ARGON2ID_HEADER = `21 03 01 05 ${KEY_ID} 13 00004c00 00000002 01 10 ${SALT}`.replace(/ /g, '');

// Golden wrapped keys of GOLDEN_DEK (00..1f) under GOLDEN_PASSCODE with the salt and IV above,
// at the floors (PBKDF2 600,000; Argon2id m=19456 KiB, t=2, p=1). Cross-checked once against
// independent implementations of the documented layout: Python hashlib PBKDF2, the libargon2
// reference implementation, and AES-GCM from Python `cryptography` (OpenSSL).
const GOLDEN_PBKDF2_KEK = '6e61afe7ec3eefd5e31ffd9aaad48bf300391a2b9a45438796974220b6a245f1';
const GOLDEN_ARGON2ID_KEK = '5ed60d7d7dfefd0986553eb81226915b0fde65a4137f4081f676aa54447d437f';
const GOLDEN_PBKDF2_BLOB =
  PBKDF2_HEADER +
  IV +
  'f2bf3e700753f1e06baddb20484dc972d8a768e194f181d55a41d3f85ecf516ec3ee12deb1f263ddc3a81a978476b3ca';
const GOLDEN_ARGON2ID_BLOB =
  ARGON2ID_HEADER +
  IV +
  '96f13abde9cbc4f426d55641f9564028f344b3c09d81a4f1626a5b3ee6fd0efa89463368c689fdfeaaaedc1d99671f86';

const goldenRandom = () => scriptedRandom(fromHex(SALT), fromHex(IV));

let goldenFingerprint: string;
beforeEach(async () => {
  goldenFingerprint = await fingerprint(await importDataKey(GOLDEN_DEK()));
  argon2Calls.count = 0;
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Spies on every WebCrypto call that could derive or decrypt. */
function spyOnDerivation() {
  const subtle = globalThis.crypto.subtle;
  return [
    vi.spyOn(subtle, 'importKey'),
    vi.spyOn(subtle, 'deriveBits'),
    vi.spyOn(subtle, 'deriveKey'),
    vi.spyOn(subtle, 'decrypt'),
    vi.spyOn(subtle, 'unwrapKey'),
  ];
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** Rewrites a big-endian u32 at `offset` of a hex blob. */
function withU32(hex: string, offset: number, value: number): Uint8Array<ArrayBuffer> {
  const bytes = fromHex(hex);
  new DataView(bytes.buffer).setUint32(offset, value);
  return bytes;
}

// Offsets in the golden headers: 4 + 5 bytes of key id = 9.
const PBKDF2_ITERATIONS_AT = 9;
const ARGON2_VERSION_AT = 9;
const ARGON2_MEMORY_AT = 10;
const ARGON2_ITERATIONS_AT = 14;
const ARGON2_PARALLELISM_AT = 18;

describe('golden wrapped keys', () => {
  it('PBKDF2: the KEK of the golden passcode matches the independent value', async () => {
    const kek = await pbkdf2Sha256(fromHex(GOLDEN_PASSCODE_BYTES), fromHex(SALT), 600_000, 32);
    expect(toHex(kek)).toBe(GOLDEN_PBKDF2_KEK);
  });

  it('PBKDF2: wraps the fixed input to the exact bytes and unwraps them', async () => {
    const blob = await wrapDataKey(
      GOLDEN_DEK(),
      'dek-1',
      { kind: 'pbkdf2', passcode: GOLDEN_PASSCODE },
      { random: goldenRandom() },
    );
    expect(toHex(blob)).toBe(GOLDEN_PBKDF2_BLOB);
    const { keyId, dataKey } = await unwrapDataKey(blob, { passcode: GOLDEN_PASSCODE });
    expect(keyId).toBe('dek-1');
    expect(dataKey.extractable).toBe(false);
    expect(dataKey.algorithm.name).toBe('HKDF');
    expect(await fingerprint(dataKey)).toBe(goldenFingerprint);
  });

  it('Argon2id: the KEK of the golden passcode matches the reference implementation', async () => {
    const kek = await argon2idRaw(fromHex(GOLDEN_PASSCODE_BYTES), fromHex(SALT), 19_456, 2, 1, 32);
    expect(toHex(kek)).toBe(GOLDEN_ARGON2ID_KEK);
  });

  it('Argon2id: wraps the fixed input to the exact bytes and unwraps them', async () => {
    const blob = await wrapDataKey(
      GOLDEN_DEK(),
      'dek-1',
      { kind: 'argon2id', passcode: GOLDEN_PASSCODE },
      { random: goldenRandom() },
    );
    expect(toHex(blob)).toBe(GOLDEN_ARGON2ID_BLOB);
    // The unwrap uses the blob's bytes only, typed in another normalisation form.
    const { dataKey } = await unwrapDataKey(fromHex(GOLDEN_ARGON2ID_BLOB), {
      passcode: GOLDEN_PASSCODE.normalize('NFC'),
    });
    expect(await fingerprint(dataKey)).toBe(goldenFingerprint);
    expect(argon2Calls.count).toBe(2);
  });

  it('reads the public header without a key', () => {
    expect(readWrappedKeyHeader(fromHex(GOLDEN_ARGON2ID_BLOB))).toEqual({
      keyId: 'dek-1',
      kek: { kind: 'argon2id', memoryKiB: 19_456, iterations: 2, parallelism: 1, salt: fromHex(SALT) },
    });
    expect(readWrappedKeyHeader(fromHex(GOLDEN_PBKDF2_BLOB)).kek).toEqual({
      kind: 'pbkdf2',
      iterations: 600_000,
      salt: fromHex(SALT),
    });
  });
});

describe('KDF floors: no silent downgrade', () => {
  it('refuses PBKDF2 below 600,000 iterations with kdf_too_weak, deriving nothing', async () => {
    const spies = spyOnDerivation();
    for (const iterations of [599_999, 100_000, 1, 0]) {
      const err = await rejection(
        unwrapDataKey(withU32(GOLDEN_PBKDF2_BLOB, PBKDF2_ITERATIONS_AT, iterations), {
          passcode: GOLDEN_PASSCODE,
        }),
      );
      expect(err).toBeInstanceOf(KdfTooWeakError);
      expect((err as KdfTooWeakError).code).toBe('kdf_too_weak');
    }
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('refuses Argon2id below m=19456 KiB, t=2 or p=1 with kdf_too_weak, deriving nothing', async () => {
    const spies = spyOnDerivation();
    const weaker = [
      withU32(GOLDEN_ARGON2ID_BLOB, ARGON2_MEMORY_AT, 19_455),
      withU32(GOLDEN_ARGON2ID_BLOB, ARGON2_MEMORY_AT, 4096),
      withU32(GOLDEN_ARGON2ID_BLOB, ARGON2_ITERATIONS_AT, 1),
      (() => {
        const b = fromHex(GOLDEN_ARGON2ID_BLOB);
        b[ARGON2_PARALLELISM_AT] = 0;
        return b;
      })(),
    ];
    for (const blob of weaker) {
      const err = await rejection(unwrapDataKey(blob, { passcode: GOLDEN_PASSCODE }));
      expect(err).toBeInstanceOf(KdfTooWeakError);
    }
    expect(argon2Calls.count).toBe(0);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('refuses a salt shorter than 16 bytes as too weak', async () => {
    // Shorten the salt to 8 bytes: length byte and salt bytes change, the body stays.
    const bytes = fromHex(GOLDEN_PBKDF2_BLOB);
    const saltLengthAt = PBKDF2_ITERATIONS_AT + 4;
    const shortened = new Uint8Array([
      ...bytes.subarray(0, saltLengthAt),
      8,
      ...bytes.subarray(saltLengthAt + 1 + 8),
    ]);
    await expect(unwrapDataKey(shortened, { passcode: GOLDEN_PASSCODE })).rejects.toBeInstanceOf(
      KdfTooWeakError,
    );
  });

  it('applies a configured floor above the minimum, and refuses configuring one below it', async () => {
    const spies = spyOnDerivation();
    const blob = fromHex(GOLDEN_PBKDF2_BLOB);
    await expect(
      unwrapDataKey(blob, { passcode: GOLDEN_PASSCODE }, { floors: { pbkdf2Iterations: 600_001 } }),
    ).rejects.toBeInstanceOf(KdfTooWeakError);
    await expect(
      unwrapDataKey(
        fromHex(GOLDEN_ARGON2ID_BLOB),
        { passcode: GOLDEN_PASSCODE },
        { floors: { argon2idMemoryKiB: 65_536 } },
      ),
    ).rejects.toBeInstanceOf(KdfTooWeakError);
    await expect(
      unwrapDataKey(blob, { passcode: GOLDEN_PASSCODE }, { floors: { pbkdf2Iterations: 1000 } }),
    ).rejects.toBeInstanceOf(CryptoParameterError);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('refuses to wrap with parameters below the floor', async () => {
    const spies = spyOnDerivation();
    await expect(
      wrapDataKey(GOLDEN_DEK(), 'dek-1', { kind: 'pbkdf2', passcode: 'x', iterations: 100_000 }),
    ).rejects.toBeInstanceOf(KdfTooWeakError);
    await expect(
      wrapDataKey(GOLDEN_DEK(), 'dek-1', { kind: 'argon2id', passcode: 'x', memoryKiB: 16_384 }),
    ).rejects.toBeInstanceOf(KdfTooWeakError);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    expect(argon2Calls.count).toBe(0);
  });

  it('refuses absurdly large parameters as parameter errors, deriving nothing', async () => {
    const spies = spyOnDerivation();
    const absurd = [
      withU32(GOLDEN_PBKDF2_BLOB, PBKDF2_ITERATIONS_AT, 10_000_001),
      withU32(GOLDEN_PBKDF2_BLOB, PBKDF2_ITERATIONS_AT, 0xffffffff),
      withU32(GOLDEN_ARGON2ID_BLOB, ARGON2_MEMORY_AT, 1_048_577),
      withU32(GOLDEN_ARGON2ID_BLOB, ARGON2_MEMORY_AT, 0xffffffff),
      withU32(GOLDEN_ARGON2ID_BLOB, ARGON2_ITERATIONS_AT, 65),
      (() => {
        const b = fromHex(GOLDEN_ARGON2ID_BLOB);
        b[ARGON2_PARALLELISM_AT] = 17;
        return b;
      })(),
      (() => {
        const b = fromHex(GOLDEN_ARGON2ID_BLOB);
        b[ARGON2_VERSION_AT] = 0x10;
        return b;
      })(),
    ];
    for (const blob of absurd) {
      const err = await rejection(unwrapDataKey(blob, { passcode: GOLDEN_PASSCODE }));
      expect(err).toBeInstanceOf(CryptoParameterError);
    }
    await expect(
      wrapDataKey(GOLDEN_DEK(), 'dek-1', { kind: 'argon2id', passcode: 'x', memoryKiB: 4_194_304 }),
    ).rejects.toBeInstanceOf(CryptoParameterError);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    expect(argon2Calls.count).toBe(0);
  });
});

describe('unwrapping fails generically', () => {
  it('with a wrong passcode', async () => {
    const err = await rejection(unwrapDataKey(fromHex(GOLDEN_PBKDF2_BLOB), { passcode: 'Müller1fiA' }));
    expect(err).toBeInstanceOf(DecryptionError);
    expect((err as DecryptionError).message).toBe('decryption failed');
  });

  it('when a KDF parameter is raised (the header is authenticated)', async () => {
    const raised = withU32(GOLDEN_PBKDF2_BLOB, PBKDF2_ITERATIONS_AT, 600_001);
    await expect(unwrapDataKey(raised, { passcode: GOLDEN_PASSCODE })).rejects.toBeInstanceOf(
      DecryptionError,
    );
  });

  it('with the wrong kind of secret, as a parameter error', async () => {
    const kek = await generateKeyEncryptionKey();
    await expect(unwrapDataKey(fromHex(GOLDEN_PBKDF2_BLOB), { keystoreKey: kek })).rejects.toBeInstanceOf(
      CryptoParameterError,
    );
  });
});

describe('keystore keys', () => {
  it('wraps and unwraps under a keystore key, into a non-extractable data key', async () => {
    const kek = await generateKeyEncryptionKey();
    const blob = await wrapDataKey(GOLDEN_DEK(), 'dek-1', {
      kind: 'keystore',
      kekId: 'device-kek',
      key: kek,
    });
    expect(readWrappedKeyHeader(blob)).toEqual({
      keyId: 'dek-1',
      kek: { kind: 'keystore', kekId: 'device-kek' },
    });
    expect(blob.length).toBe(4 + 5 + 1 + 10 + 12 + 32 + 16);
    const { dataKey } = await unwrapDataKey(blob, { keystoreKey: kek });
    expect(dataKey.extractable).toBe(false);
    expect(await fingerprint(dataKey)).toBe(goldenFingerprint);
    await expect(unwrapDataKey(blob, { passcode: 'x' })).rejects.toBeInstanceOf(CryptoParameterError);
    await expect(
      unwrapDataKey(blob, { keystoreKey: await generateKeyEncryptionKey() }),
    ).rejects.toBeInstanceOf(DecryptionError);
  });

  it('rejects every single bit flip and every truncation of a wrapped key', async () => {
    const kek = await generateKeyEncryptionKey();
    const blob = await wrapDataKey(GOLDEN_DEK(), 'dek-1', {
      kind: 'keystore',
      kekId: 'device-kek',
      key: kek,
    });
    for (let bit = 0; bit < blob.length * 8; bit++) {
      const changed = blob.slice();
      changed[bit >> 3] = (changed[bit >> 3] as number) ^ (1 << (bit & 7));
      const err = await rejection(unwrapDataKey(changed, { keystoreKey: kek }));
      if (bit >= 24) expect(err).toBeInstanceOf(DecryptionError);
      // Format, KEK kind and algorithm bytes: refused as unsupported or malformed.
      else expect(err).toBeInstanceOf(BulwarkError);
    }
    for (let length = 0; length < blob.length; length++) {
      await expect(unwrapDataKey(blob.slice(0, length), { keystoreKey: kek })).rejects.toBeInstanceOf(
        DecryptionError,
      );
    }
  });

  it('refuses keys that are not AES-256-GCM KEKs and data keys that are not 32 bytes', async () => {
    const subtle = globalThis.crypto.subtle;
    const aes128 = await subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, [
      'encrypt',
      'unwrapKey',
    ]);
    await expect(
      wrapDataKey(GOLDEN_DEK(), 'dek-1', { kind: 'keystore', kekId: 'k', key: aes128 }),
    ).rejects.toBeInstanceOf(CryptoParameterError);
    const kek = await generateKeyEncryptionKey();
    for (const length of [0, 16, 31, 33]) {
      await expect(
        wrapDataKey(new Uint8Array(length), 'dek-1', { kind: 'keystore', kekId: 'k', key: kek }),
      ).rejects.toBeInstanceOf(CryptoParameterError);
    }
  });

  it('draws a fresh salt and IV for every wrap by default', async () => {
    const kek = await generateKeyEncryptionKey();
    const a = await wrapDataKey(GOLDEN_DEK(), 'dek-1', { kind: 'keystore', kekId: 'k', key: kek });
    const b = await wrapDataKey(GOLDEN_DEK(), 'dek-1', { kind: 'keystore', kekId: 'k', key: kek });
    expect(toHex(a)).not.toBe(toHex(b));
  });
});

describe('re-wrapping', () => {
  it('moves the same data key from a passcode to a keystore key and to a new passcode', async () => {
    const kek = await generateKeyEncryptionKey();
    const toKeystore = await rewrapDataKey(
      fromHex(GOLDEN_PBKDF2_BLOB),
      { passcode: GOLDEN_PASSCODE },
      { kind: 'keystore', kekId: 'device-kek', key: kek },
    );
    expect(readWrappedKeyHeader(toKeystore).keyId).toBe('dek-1');
    const toPasscode = await rewrapDataKey(
      toKeystore,
      { keystoreKey: kek },
      { kind: 'argon2id', passcode: 'new 4711' },
    );
    const { keyId, dataKey } = await unwrapDataKey(toPasscode, { passcode: 'new 4711' });
    expect(keyId).toBe('dek-1');
    expect(await fingerprint(dataKey)).toBe(goldenFingerprint);
    await expect(unwrapDataKey(toPasscode, { passcode: GOLDEN_PASSCODE })).rejects.toBeInstanceOf(
      DecryptionError,
    );
  });

  it('the unwrapped data key derives the same subkeys as the original', async () => {
    const kek = await generateKeyEncryptionKey();
    const blob = await wrapDataKey(GOLDEN_DEK(), 'dek-1', { kind: 'keystore', kekId: 'k', key: kek });
    const { keyId, dataKey } = await unwrapDataKey(blob, { keystoreKey: kek });
    const fromUnwrapped = await deriveDataKeys(dataKey, keyId);
    const fromOriginal = await deriveDataKeys(await importDataKey(GOLDEN_DEK()), 'dek-1');
    expect(fromUnwrapped.sealingKey.key.extractable).toBe(false);
    expect(fromUnwrapped.blindIndexKey.extractable).toBe(false);
    const random = () => scriptedRandom(fromHex(IV));
    const ctx = { collection: 'c', recordId: 'r', field: 'f', schemaVersion: 1 };
    const a = await seal(fromUnwrapped.sealingKey, new Uint8Array([1]), ctx, { random: random() });
    const b = await seal(fromOriginal.sealingKey, new Uint8Array([1]), ctx, { random: random() });
    expect(toHex(a)).toBe(toHex(b));
  });
});
