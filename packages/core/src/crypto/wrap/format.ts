/**
 * The wrapped-key blob's binary layout (docs/crypto.md, "Wrapped key"):
 *
 *   format (1) = 0x21 | KEK kind (1) | algorithm (1) = 0x01 | key id length L (1) | key id (L) |
 *   KEK parameters (by kind) | IV (12) | wrapped data key (32) | tag (16)
 *
 *   keystore (0x01): KEK id length M (1) | KEK id (M)
 *   PBKDF2-HMAC-SHA256 (0x02): iterations (4) | salt length S (1) | salt (S)
 *   Argon2id (0x03): version (1) = 0x13 | memory KiB (4) | iterations (4) | parallelism (1) |
 *                    salt length S (1) | salt (S)
 *
 * Integers are big-endian. The header (everything before the IV) is the whole AAD, so the key id,
 * the KEK kind and every KDF parameter are authenticated along with the data key.
 */
import { CryptoParameterError, DecryptionError } from '../errors.js';
import type { PasscodeKdfParameters } from '../kdf/parameters.js';
import { IV_BYTES, KEY_BYTES, TAG_BYTES } from '../lib/aes-gcm.js';
import { ByteReader, ByteWriter, OutOfBounds } from '../lib/bytes.js';
import { SALT_MAX_BYTES } from '../lib/kdf-limits.js';
import { keyIdBytes, keyIdFromBytes, MAX_KEY_ID_LENGTH } from '../lib/key-id.js';

/** First byte of a wrapped key: high nibble 2 = wrapped key, low nibble 1 = version 1. */
export const WRAPPED_KEY_FORMAT_V1 = 0x21;
/** KEK kind bytes. */
export const KEK_KIND_KEYSTORE = 0x01;
export const KEK_KIND_PBKDF2 = 0x02;
export const KEK_KIND_ARGON2ID = 0x03;
/** Wrap algorithm: AES-256-GCM, 96-bit IV, 128-bit tag. */
export const WRAP_ALGORITHM_AES_256_GCM = 0x01;
/** Argon2 version byte (1.3), the only one hash-wasm implements. */
export const ARGON2_VERSION_13 = 0x13;

/**
 * What a wrapped key says about itself: the data key's id and how its KEK is obtained.
 *
 * @example
 * ```ts
 * const { kek }: WrappedKeyInfo = readWrappedKeyHeader(blob);
 * if (kek.kind !== 'keystore') askForPasscode();
 * ```
 */
export interface WrappedKeyInfo {
  readonly keyId: string;
  readonly kek: { readonly kind: 'keystore'; readonly kekId: string } | PasscodeKdfParameters;
}

/** A parsed wrapped key; `header` is the exact bytes that were authenticated. */
export interface ParsedWrappedKey extends WrappedKeyInfo {
  readonly header: Uint8Array<ArrayBuffer>;
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly ciphertext: Uint8Array<ArrayBuffer>;
  readonly tag: Uint8Array<ArrayBuffer>;
}

/** Header bytes for `info`, whose key ids and parameters the caller has checked. */
export function wrappedKeyHeader(info: WrappedKeyInfo): Uint8Array<ArrayBuffer> {
  const out = new ByteWriter().u8(WRAPPED_KEY_FORMAT_V1);
  const { kek } = info;
  out.u8(
    kek.kind === 'keystore' ? KEK_KIND_KEYSTORE : kek.kind === 'pbkdf2' ? KEK_KIND_PBKDF2 : KEK_KIND_ARGON2ID,
  );
  out.u8(WRAP_ALGORITHM_AES_256_GCM);
  const id = keyIdBytes(info.keyId);
  out.u8(id.length).bytes(id);
  if (kek.kind === 'keystore') {
    const kekId = keyIdBytes(kek.kekId);
    out.u8(kekId.length).bytes(kekId);
  } else if (kek.kind === 'pbkdf2') {
    out.u32(kek.iterations).u8(kek.salt.length).bytes(kek.salt);
  } else {
    out.u8(ARGON2_VERSION_13).u32(kek.memoryKiB).u32(kek.iterations).u8(kek.parallelism);
    out.u8(kek.salt.length).bytes(kek.salt);
  }
  return out.finish();
}

function readKeyId(reader: ByteReader): string {
  const length = reader.u8();
  if (length === 0 || length > MAX_KEY_ID_LENGTH) throw new DecryptionError();
  const id = keyIdFromBytes(reader.bytes(length));
  if (id === undefined) throw new DecryptionError();
  return id;
}

function readSalt(reader: ByteReader): Uint8Array<ArrayBuffer> {
  const length = reader.u8();
  if (length > SALT_MAX_BYTES)
    throw new CryptoParameterError(`KDF salt must be at most ${SALT_MAX_BYTES} bytes`);
  return reader.bytes(length);
}

/**
 * Splits a wrapped key. Unknown format, kind, algorithm or Argon2 version bytes are a
 * `CryptoParameterError`; truncation, a malformed id or a body of the wrong length is the
 * generic `DecryptionError`. KDF parameters are returned unchecked: the caller checks floors.
 */
export function parseWrappedKey(blob: Uint8Array<ArrayBuffer>): ParsedWrappedKey {
  if (!(blob instanceof Uint8Array)) throw new CryptoParameterError('wrapped key must be a Uint8Array');
  const reader = new ByteReader(blob);
  try {
    if (reader.u8() !== WRAPPED_KEY_FORMAT_V1)
      throw new CryptoParameterError('unsupported wrapped key format');
    const kind = reader.u8();
    if (kind !== KEK_KIND_KEYSTORE && kind !== KEK_KIND_PBKDF2 && kind !== KEK_KIND_ARGON2ID) {
      throw new CryptoParameterError('unsupported key-encryption key kind');
    }
    if (reader.u8() !== WRAP_ALGORITHM_AES_256_GCM)
      throw new CryptoParameterError('unsupported wrap algorithm');
    const keyId = readKeyId(reader);
    let kek: WrappedKeyInfo['kek'];
    if (kind === KEK_KIND_KEYSTORE) {
      kek = { kind: 'keystore', kekId: readKeyId(reader) };
    } else if (kind === KEK_KIND_PBKDF2) {
      const iterations = reader.u32();
      kek = { kind: 'pbkdf2', iterations, salt: readSalt(reader) };
    } else {
      if (reader.u8() !== ARGON2_VERSION_13) throw new CryptoParameterError('unsupported Argon2 version');
      const memoryKiB = reader.u32();
      const iterations = reader.u32();
      const parallelism = reader.u8();
      kek = { kind: 'argon2id', memoryKiB, iterations, parallelism, salt: readSalt(reader) };
    }
    const header = blob.slice(0, reader.offset);
    if (reader.remaining !== IV_BYTES + KEY_BYTES + TAG_BYTES) throw new DecryptionError();
    const iv = reader.bytes(IV_BYTES);
    const ciphertext = reader.bytes(KEY_BYTES);
    const tag = reader.bytes(TAG_BYTES);
    return { keyId, kek, header, iv, ciphertext, tag };
  } catch (err) {
    if (err instanceof OutOfBounds) throw new DecryptionError();
    throw err;
  }
}

/**
 * Reads a wrapped key's public header (key id, KEK kind, KDF parameters) without any key, e.g.
 * to decide whether to ask for a passcode. Nothing is authenticated until unwrap.
 *
 * @example
 * ```ts
 * const info = readWrappedKeyHeader(blob);
 * if (info.kek.kind === 'argon2id') console.log(info.kek.memoryKiB);
 * ```
 */
export function readWrappedKeyHeader(blob: Uint8Array<ArrayBuffer>): WrappedKeyInfo {
  const { keyId, kek } = parseWrappedKey(blob);
  return { keyId, kek };
}
