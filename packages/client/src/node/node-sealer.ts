/**
 * The store's per-record crypto on node:crypto: the same AES-256-GCM envelope and HMAC-SHA256
 * blind index as `@bulwark/core/crypto`, byte for byte (tested against it), computed
 * synchronously, which removes WebCrypto's per-call promise and thread-pool hop, the cost that
 * dominates small records. The CryptoKeys stay as they are; Node converts them with
 * `KeyObject.from`. Anything the fast path does not recognise (other format bytes, an unknown
 * key id, a failed tag) is handed to core, so errors are exactly core's.
 */
import { createCipheriv, createDecipheriv, createHmac, KeyObject, randomFillSync } from 'node:crypto';
import {
  type BlindIndexOptions,
  blindIndex,
  DecryptionError,
  type EncryptionContext,
  encodeContext,
  type KeyLookup,
  open,
  type SealingKey,
} from '@bulwark/core/crypto';
import { envelopeHeaderOf, parseEnvelopeHead, type Sealer } from '../store/sealer.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

// IVs come from a pool filled by the CSPRNG 64 KiB at a time: one syscall-backed fill per ~5,000
// seals instead of one per seal. Each IV is handed out once (the offset only moves forward) and
// is as random as a direct draw.
const IV_POOL_BYTES = 65_532;
let ivPool = new Uint8Array(0);
let ivOffset = 0;

/** Writes the next IV of the pool at `into[at]`, and wipes it from the pool. */
function nextIv(into: Uint8Array, at: number): void {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomFillSync(new Uint8Array(IV_POOL_BYTES));
    ivOffset = 0;
  }
  for (let i = 0; i < IV_BYTES; i++) {
    into[at + i] = ivPool[ivOffset + i] as number;
    ivPool[ivOffset + i] = 0;
  }
  ivOffset += IV_BYTES;
}

// The store's envelopes are carved out of 64 KiB blocks rather than each getting an ArrayBuffer
// of its own (an allocation outside the JS heap per record, and as much garbage). A block holds
// nothing but envelopes, which are ciphertext, and each envelope is a view of its exact bytes;
// every backend copies or binds the view, never the whole block. Larger envelopes get their own.
const BLOCK_BYTES = 65_536;
const BLOCK_MAX_ENVELOPE = 1024;
let block = new ArrayBuffer(0);
let blockOffset = 0;

function envelopeBytes(length: number): Uint8Array<ArrayBuffer> {
  if (length > BLOCK_MAX_ENVELOPE) return new Uint8Array(length);
  if (blockOffset + length > block.byteLength) {
    block = new ArrayBuffer(BLOCK_BYTES);
    blockOffset = 0;
  }
  const out = new Uint8Array(block, blockOffset, length);
  blockOffset += length;
  return out;
}

// Context encoding: core's canonical format is a count byte followed by the entries sorted by
// the UTF-8 bytes of their keys, each entry being exactly what core encodes for a one-entry
// context after its count byte. Entries whose value repeats from record to record (collection,
// field slot, schema version) are encoded by core once and reused; anything unusual is left to
// core entirely. Tested byte for byte against core.
const entryCache = new Map<string, Map<string | number, Uint8Array>>();
const UNCACHED_KEYS = new Set(['recordId', 'index', 'fileId', 'value']);
const asciiKeys = new Set<string>();
let cached = 0;

function isAsciiKey(key: string): boolean {
  if (asciiKeys.has(key)) return true;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return false;
  if (asciiKeys.size < 1024) asciiKeys.add(key);
  return true;
}

// A string entry, written directly: key length (u8) | key (ASCII) | type 0x01 | value length
// (u16, big-endian) | value (UTF-8). Anything core would refuse (lone surrogates, oversized keys
// or values) goes to core, which throws its own error.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringEntry(key: string, value: string): Uint8Array {
  if (key.length === 0 || key.length > 128 || value.length > 4096 || LONE_SURROGATE.test(value)) {
    return encodeContext({ [key]: value }).subarray(1);
  }
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 4096) return encodeContext({ [key]: value }).subarray(1);
  const out = new Uint8Array(key.length + 4 + bytes.length);
  out[0] = key.length;
  for (let i = 0; i < key.length; i++) out[1 + i] = key.charCodeAt(i);
  out[1 + key.length] = 0x01;
  out[2 + key.length] = bytes.length >>> 8;
  out[3 + key.length] = bytes.length & 0xff;
  out.set(bytes, 4 + key.length);
  return out;
}

function entryBytes(key: string, value: string | number): Uint8Array {
  const cacheable = !UNCACHED_KEYS.has(key) && (typeof value === 'number' || value.length <= 64);
  if (!cacheable)
    return typeof value === 'string' ? stringEntry(key, value) : encodeContext({ [key]: value }).subarray(1);
  let byValue = entryCache.get(key);
  // Numbers and strings are kept apart: 1 and '1' encode differently.
  const id = typeof value === 'number' ? (Object.is(value, -0) ? 0 : value) : `s${value}`;
  let entry = byValue?.get(id);
  if (entry === undefined) {
    entry = encodeContext({ [key]: value }).subarray(1);
    if (cached < 4096) {
      if (byValue === undefined) {
        byValue = new Map();
        entryCache.set(key, byValue);
      }
      byValue.set(id, entry);
      cached += 1;
    }
  }
  return entry;
}

function contextBytes(context: EncryptionContext): Uint8Array {
  if (
    typeof context !== 'object' ||
    context === null ||
    Object.getPrototypeOf(context) !== Object.prototype
  ) {
    return encodeContext(context);
  }
  const keys = Object.keys(context);
  if (keys.length === 0 || keys.length > 32 || Object.getOwnPropertySymbols(context).length > 0) {
    return encodeContext(context);
  }
  for (const key of keys) if (!isAsciiKey(key)) return encodeContext(context);
  keys.sort();
  const parts: Uint8Array[] = [];
  let length = 1;
  for (const key of keys) {
    const descriptor = Object.getOwnPropertyDescriptor(context, key);
    const value: unknown = descriptor?.value;
    if (
      descriptor === undefined ||
      !('value' in descriptor) ||
      (typeof value !== 'string' && typeof value !== 'number')
    ) {
      return encodeContext(context);
    }
    const entry = entryBytes(key, value);
    parts.push(entry);
    length += entry.length;
  }
  const out = new Uint8Array(length);
  out[0] = keys.length;
  let offset = 1;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function keyObject(key: CryptoKey): KeyObject {
  let object = keyObjects.get(key);
  if (object === undefined) {
    object = KeyObject.from(key);
    keyObjects.set(key, object);
  }
  return object;
}

function sealSync(
  key: SealingKey,
  plaintext: Uint8Array,
  context: EncryptionContext,
): Uint8Array<ArrayBuffer> {
  return sealEncodedSync(key, plaintext, contextBytes(context));
}

function sealEncodedSync(
  key: SealingKey,
  plaintext: Uint8Array,
  encodedContext: Uint8Array,
): Uint8Array<ArrayBuffer> {
  return sealInto(key, plaintext, encodedContext, new Uint8Array(envelopeLength(key, plaintext)));
}

function envelopeLength(key: SealingKey, plaintext: Uint8Array): number {
  return 3 + key.id.length + IV_BYTES + plaintext.length + TAG_BYTES;
}

/** The store's record path: as `sealEncodedSync`, the envelope carved out of a shared block. */
function sealRecordSync(
  key: SealingKey,
  plaintext: Uint8Array,
  encodedContext: Uint8Array,
): Uint8Array<ArrayBuffer> {
  return sealInto(key, plaintext, encodedContext, envelopeBytes(envelopeLength(key, plaintext)));
}

function sealInto(
  key: SealingKey,
  plaintext: Uint8Array,
  encodedContext: Uint8Array,
  out: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const head = envelopeHeaderOf(key.id);
  key.reserveSeal();
  out.set(head, 0);
  nextIv(out, head.length);
  const cipher = createCipheriv(
    'aes-256-gcm',
    keyObject(key.key),
    out.subarray(head.length, head.length + IV_BYTES),
    { authTagLength: TAG_BYTES },
  );
  // One AAD call: the header and the context, contiguous in a scratch buffer.
  cipher.setAAD(aadOf(head, encodedContext));
  const body = cipher.update(plaintext);
  cipher.final();
  out.set(body, head.length + IV_BYTES);
  out.set(cipher.getAuthTag(), head.length + IV_BYTES + plaintext.length);
  return out;
}

let scratch = Buffer.alloc(1024);

/** Header ‖ context in a reused buffer (OpenSSL copies the AAD into its GHASH state at once). */
function aadOf(head: Uint8Array, encodedContext: Uint8Array): Uint8Array {
  const length = head.length + encodedContext.length;
  if (length > scratch.length) scratch = Buffer.alloc(Math.max(length, scratch.length * 2));
  scratch.set(head, 0);
  scratch.set(encodedContext, head.length);
  return scratch.subarray(0, length);
}

function openFast(
  key: SealingKey,
  envelope: Uint8Array<ArrayBuffer>,
  headLength: number,
  encodedContext: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const iv = envelope.subarray(headLength, headLength + IV_BYTES);
  const tag = envelope.subarray(envelope.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', keyObject(key.key), iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aadOf(envelope.subarray(0, headLength), encodedContext));
  decipher.setAuthTag(tag);
  const body = decipher.update(envelope.subarray(headLength + IV_BYTES, envelope.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    body.fill(0);
    throw new DecryptionError();
  }
  return new Uint8Array(body.buffer, body.byteOffset, body.length) as Uint8Array<ArrayBuffer>;
}

/** The fast open with any key lookup that answers synchronously; `undefined` when it cannot decide. */
function openEncodedSync(
  keys: KeyLookup,
  envelope: Uint8Array<ArrayBuffer>,
  encodedContext: Uint8Array,
): Uint8Array<ArrayBuffer> | undefined {
  const parsed = parseEnvelopeHead(envelope);
  if (parsed === undefined) return undefined;
  const key = keys.get(parsed.keyId);
  if (key === undefined || key instanceof Promise || key.id !== parsed.keyId) return undefined;
  return openFast(key, envelope, parsed.headLength, encodedContext);
}

function normalise(value: string | number, caseInsensitive: boolean): string | number {
  if (typeof value === 'number') return value;
  const nfkc = value.normalize('NFKC');
  return caseInsensitive ? nfkc.toLowerCase().normalize('NFKC') : nfkc;
}

function blindIndexSync(
  key: CryptoKey,
  value: string | number,
  scope: EncryptionContext,
  options: BlindIndexOptions,
): Uint8Array<ArrayBuffer> | undefined {
  const length = options.length ?? 16;
  const valid =
    key.algorithm.name === 'HMAC' &&
    key.usages.includes('sign') &&
    (typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value))) &&
    Number.isSafeInteger(length) &&
    length >= 8 &&
    length <= 32;
  if (!valid) return undefined;
  const mac = createHmac('sha256', keyObject(key))
    .update(contextBytes(scope))
    .update(contextBytes({ value: normalise(value, options.caseInsensitive ?? false) }))
    .digest();
  return new Uint8Array(mac.subarray(0, length));
}

/**
 * node:crypto implementation of the store's `Sealer`.
 *
 * @example
 * ```ts
 * import { nodeSealer } from '@bulwark/client/node';
 * const store = await EncryptedStore.open({ backend, vault, collections, sealer: nodeSealer });
 * ```
 */
export const nodeSealer: Sealer = Object.freeze({
  async seal(key: SealingKey, plaintext: Uint8Array<ArrayBuffer>, context: EncryptionContext) {
    return sealSync(key, plaintext, context);
  },

  async open(keys: KeyLookup, envelope: Uint8Array<ArrayBuffer>, context: EncryptionContext) {
    const parsed = parseEnvelopeHead(envelope);
    if (parsed !== undefined) {
      const key = await keys.get(parsed.keyId);
      if (key !== undefined && key.id === parsed.keyId)
        return openFast(key, envelope, parsed.headLength, contextBytes(context));
    }
    return open(keys, envelope, context);
  },

  async blindIndex(
    key: CryptoKey,
    value: string | number,
    scope: EncryptionContext,
    options: BlindIndexOptions = {},
  ) {
    // Core refuses what the fast path does not handle, with its own errors.
    return blindIndexSync(key, value, scope, options) ?? blindIndex(key, value, scope, options);
  },

  async sealEncoded(key: SealingKey, plaintext: Uint8Array<ArrayBuffer>, encodedContext: Uint8Array) {
    return sealEncodedSync(key, plaintext, encodedContext);
  },

  async openEncoded(keys: KeyLookup, envelope: Uint8Array<ArrayBuffer>, encodedContext: Uint8Array) {
    const parsed = parseEnvelopeHead(envelope);
    if (parsed === undefined) return undefined;
    const key = await keys.get(parsed.keyId);
    if (key === undefined || key.id !== parsed.keyId) return undefined;
    return openFast(key, envelope, parsed.headLength, encodedContext);
  },

  sync: Object.freeze({
    seal: sealSync,
    open(keys: KeyLookup, envelope: Uint8Array<ArrayBuffer>, context: EncryptionContext) {
      const parsed = parseEnvelopeHead(envelope);
      if (parsed === undefined) return undefined;
      const key = keys.get(parsed.keyId);
      if (key === undefined || key instanceof Promise || key.id !== parsed.keyId) return undefined;
      return openFast(key, envelope, parsed.headLength, contextBytes(context));
    },
    blindIndex: (
      key: CryptoKey,
      value: string | number,
      scope: EncryptionContext,
      options: BlindIndexOptions = {},
    ) => blindIndexSync(key, value, scope, options),
    sealEncoded: sealRecordSync,
    openEncoded: openEncodedSync,
  }),
});
