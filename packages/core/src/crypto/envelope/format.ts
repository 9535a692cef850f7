/**
 * The envelope's binary layout (docs/crypto.md, "Envelope"):
 *
 *   format (1) = 0x11 | algorithm (1) = 0x01 | key id length L (1) | key id (L) | IV (12) |
 *   ciphertext (n) | tag (16)
 *
 * The header is everything before the IV; it is authenticated as the first part of the AAD.
 */
import { CryptoParameterError, DecryptionError } from '../errors.js';
import { IV_BYTES, TAG_BYTES } from '../lib/aes-gcm.js';
import { ByteReader, ByteWriter, OutOfBounds } from '../lib/bytes.js';
import { keyIdBytes, keyIdFromBytes, MAX_KEY_ID_LENGTH } from '../lib/key-id.js';

/** First byte of an envelope: high nibble 1 = envelope, low nibble 1 = version 1. */
export const ENVELOPE_FORMAT_V1 = 0x11;
/** Algorithm id of AES-256-GCM with a 96-bit IV and a 128-bit tag, the only one. */
export const ALGORITHM_AES_256_GCM = 0x01;

/** A parsed envelope; `header` is the exact bytes that were authenticated. */
export interface ParsedEnvelope {
  readonly header: Uint8Array<ArrayBuffer>;
  readonly keyId: string;
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly ciphertext: Uint8Array<ArrayBuffer>;
  readonly tag: Uint8Array<ArrayBuffer>;
}

/** The header of an envelope sealed under `keyId` (which the caller has checked). */
export function envelopeHeader(keyId: string): Uint8Array<ArrayBuffer> {
  const id = keyIdBytes(keyId);
  return new ByteWriter().u8(ENVELOPE_FORMAT_V1).u8(ALGORITHM_AES_256_GCM).u8(id.length).bytes(id).finish();
}

/**
 * Splits an envelope. An unknown format or algorithm byte is a `CryptoParameterError` (the header
 * is public; saying it is from another version reveals nothing); every other defect is the
 * generic `DecryptionError`.
 */
export function parseEnvelope(envelope: Uint8Array<ArrayBuffer>): ParsedEnvelope {
  if (!(envelope instanceof Uint8Array)) throw new CryptoParameterError('envelope must be a Uint8Array');
  const reader = new ByteReader(envelope);
  try {
    const format = reader.u8();
    if (format !== ENVELOPE_FORMAT_V1) throw new CryptoParameterError('unsupported envelope format version');
    const algorithm = reader.u8();
    if (algorithm !== ALGORITHM_AES_256_GCM) throw new CryptoParameterError('unsupported envelope algorithm');
    const idLength = reader.u8();
    if (idLength === 0 || idLength > MAX_KEY_ID_LENGTH) throw new DecryptionError();
    const keyId = keyIdFromBytes(reader.bytes(idLength));
    if (keyId === undefined) throw new DecryptionError();
    const header = envelope.slice(0, reader.offset);
    const iv = reader.bytes(IV_BYTES);
    if (reader.remaining < TAG_BYTES) throw new DecryptionError();
    const ciphertext = reader.bytes(reader.remaining - TAG_BYTES);
    const tag = reader.bytes(TAG_BYTES);
    return { header, keyId, iv, ciphertext, tag };
  } catch (err) {
    if (err instanceof OutOfBounds) throw new DecryptionError();
    throw err;
  }
}

/**
 * The key id an envelope names, for finding envelopes still sealed under an old key after a
 * rotation. Reads the public header only; nothing is authenticated until `open`.
 *
 * @example
 * ```ts
 * if (readEnvelopeKeyId(envelope) !== keyring.primary.id) queueForReencryption(recordId);
 * ```
 */
export function readEnvelopeKeyId(envelope: Uint8Array<ArrayBuffer>): string {
  return parseEnvelope(envelope).keyId;
}
