/**
 * The crypto the store runs per record, behind a small interface so that the Node entry can
 * substitute node:crypto (synchronous, several times faster for small records) while the envelope
 * and blind-index formats stay exactly core's. The default is core's WebCrypto implementation,
 * with a leaner path for the store's records (pre-encoded contexts, no extra copies).
 */
import {
  ALGORITHM_AES_256_GCM,
  type BlindIndexOptions,
  blindIndex,
  DecryptionError,
  ENVELOPE_FORMAT_V1,
  type EncryptionContext,
  type KeyLookup,
  open,
  type SealingKey,
  seal,
} from '@bulwark/core/crypto';

/**
 * Seal, open and blind-index, format-compatible with `@bulwark/core/crypto`.
 *
 * @example
 * ```ts
 * const sealer: Sealer = webCryptoSealer; // or nodeSealer from '@bulwark/client/node'
 * const envelope = await sealer.seal(keyring.primary, bytes, context);
 * ```
 */
export interface Sealer {
  seal(
    key: SealingKey,
    plaintext: Uint8Array<ArrayBuffer>,
    context: EncryptionContext,
  ): Promise<Uint8Array<ArrayBuffer>>;
  open(
    keys: KeyLookup,
    envelope: Uint8Array<ArrayBuffer>,
    context: EncryptionContext,
  ): Promise<Uint8Array<ArrayBuffer>>;
  blindIndex(
    key: CryptoKey,
    value: string | number,
    scope: EncryptionContext,
    options?: BlindIndexOptions,
  ): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Optional forms taking the context already encoded (exactly core's `encodeContext` bytes),
   * which the store caches per collection instead of encoding an object per record. The
   * envelope is the same as `seal` makes. `openEncoded` resolves `undefined` when it cannot
   * decide (an envelope it does not recognise, an unknown key id); the caller then uses `open`,
   * so every error is still core's.
   */
  sealEncoded?(
    key: SealingKey,
    plaintext: Uint8Array<ArrayBuffer>,
    encodedContext: Uint8Array,
  ): Promise<Uint8Array<ArrayBuffer>>;
  openEncoded?(
    keys: KeyLookup,
    envelope: Uint8Array<ArrayBuffer>,
    encodedContext: Uint8Array,
  ): Promise<Uint8Array<ArrayBuffer> | undefined>;
  /**
   * Synchronous forms, for implementations that have them (node:crypto). The bulk paths use them
   * to avoid one promise per record; results are identical to the asynchronous forms. The
   * envelope `sync.sealEncoded` returns may be a view into a larger buffer that holds only other
   * envelopes (node:crypto carves the store's small envelopes out of shared blocks): use its
   * bytes, or copy it, never its whole `.buffer`. The context it is given may be a reused buffer,
   * consumed before it returns.
   */
  readonly sync?: {
    sealEncoded?(
      key: SealingKey,
      plaintext: Uint8Array<ArrayBuffer>,
      encodedContext: Uint8Array,
    ): Uint8Array<ArrayBuffer>;
    openEncoded?(
      keys: KeyLookup,
      envelope: Uint8Array<ArrayBuffer>,
      encodedContext: Uint8Array,
    ): Uint8Array<ArrayBuffer> | undefined;
    seal(
      key: SealingKey,
      plaintext: Uint8Array<ArrayBuffer>,
      context: EncryptionContext,
    ): Uint8Array<ArrayBuffer>;
    /** `undefined` when the fast path cannot decide; the caller then uses `open`. */
    open(
      keys: KeyLookup,
      envelope: Uint8Array<ArrayBuffer>,
      context: EncryptionContext,
    ): Uint8Array<ArrayBuffer> | undefined;
    blindIndex(
      key: CryptoKey,
      value: string | number,
      scope: EncryptionContext,
      options?: BlindIndexOptions,
    ): Uint8Array<ArrayBuffer> | undefined;
  };
}

// The store's hot path on WebCrypto: core's envelope, built without the copies of the generic
// path (core splits WebCrypto's ciphertext‖tag and joins it again; the open path joins what the
// envelope already holds contiguously), with IVs from a CSPRNG pool and a header per key id
// encoded once. Anything unusual goes to core.
const IV_BYTES = 12;
const TAG_BYTES = 16;
const IV_POOL_BYTES = 65_532;
let ivPool = new Uint8Array(0);
let ivOffset = IV_POOL_BYTES;

/** The next IV from a pool the CSPRNG fills 64 KiB at a time; each IV is handed out once. */
function nextIv(into: Uint8Array): void {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = globalThis.crypto.getRandomValues(new Uint8Array(IV_POOL_BYTES));
    ivOffset = 0;
  }
  into.set(ivPool.subarray(ivOffset, ivOffset + IV_BYTES));
  ivPool.fill(0, ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
}

const headers = new Map<string, Uint8Array<ArrayBuffer>>();

/** The envelope header of a key id (validated by `SealingKey`): format, algorithm, length, id. */
export function envelopeHeaderOf(keyId: string): Uint8Array<ArrayBuffer> {
  let head = headers.get(keyId);
  if (head === undefined) {
    head = new Uint8Array(3 + keyId.length);
    head[0] = ENVELOPE_FORMAT_V1;
    head[1] = ALGORITHM_AES_256_GCM;
    head[2] = keyId.length;
    for (let i = 0; i < keyId.length; i++) head[3 + i] = keyId.charCodeAt(i);
    if (headers.size < 256) headers.set(keyId, head);
  }
  return head;
}

/** Key id and header length of a v1 AES-GCM envelope long enough to hold IV and tag, or undefined. */
export function parseEnvelopeHead(envelope: Uint8Array): { keyId: string; headLength: number } | undefined {
  const idLength = envelope[2] ?? 0;
  const headLength = 3 + idLength;
  if (
    envelope[0] !== ENVELOPE_FORMAT_V1 ||
    envelope[1] !== ALGORITHM_AES_256_GCM ||
    idLength === 0 ||
    envelope.length < headLength + IV_BYTES + TAG_BYTES
  ) {
    return undefined;
  }
  let keyId = '';
  for (let i = 3; i < headLength; i++) keyId += String.fromCharCode(envelope[i] as number);
  return { keyId, headLength };
}

function additionalData(head: Uint8Array, encodedContext: Uint8Array): Uint8Array<ArrayBuffer> {
  const aad = new Uint8Array(head.length + encodedContext.length);
  aad.set(head, 0);
  aad.set(encodedContext, head.length);
  return aad;
}

async function sealEncoded(
  key: SealingKey,
  plaintext: Uint8Array<ArrayBuffer>,
  encodedContext: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const head = envelopeHeaderOf(key.id);
  key.reserveSeal();
  const iv = new Uint8Array(IV_BYTES);
  nextIv(iv);
  const sealed = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(head, encodedContext), tagLength: TAG_BYTES * 8 },
    key.key,
    plaintext,
  );
  const out = new Uint8Array(head.length + IV_BYTES + sealed.byteLength);
  out.set(head, 0);
  out.set(iv, head.length);
  out.set(new Uint8Array(sealed), head.length + IV_BYTES);
  return out;
}

async function openEncoded(
  keys: KeyLookup,
  envelope: Uint8Array<ArrayBuffer>,
  encodedContext: Uint8Array,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const parsed = parseEnvelopeHead(envelope);
  if (parsed === undefined) return undefined;
  const key = await keys.get(parsed.keyId);
  if (key === undefined || key.id !== parsed.keyId) return undefined;
  const { headLength } = parsed;
  try {
    const plain = await globalThis.crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: envelope.subarray(headLength, headLength + IV_BYTES),
        additionalData: additionalData(envelope.subarray(0, headLength), encodedContext),
        tagLength: TAG_BYTES * 8,
      },
      key.key,
      envelope.subarray(headLength + IV_BYTES),
    );
    return new Uint8Array(plain);
  } catch {
    throw new DecryptionError();
  }
}

/**
 * Core's WebCrypto envelope: runs everywhere WebCrypto does.
 *
 * @example
 * ```ts
 * const store = await EncryptedStore.open({ backend, vault, collections, sealer: webCryptoSealer });
 * ```
 */
export const webCryptoSealer: Sealer = Object.freeze({
  seal: (key: SealingKey, plaintext: Uint8Array<ArrayBuffer>, context: EncryptionContext) =>
    seal(key, plaintext, context),
  open: (keys: KeyLookup, envelope: Uint8Array<ArrayBuffer>, context: EncryptionContext) =>
    open(keys, envelope, context),
  blindIndex: (
    key: CryptoKey,
    value: string | number,
    scope: EncryptionContext,
    options?: BlindIndexOptions,
  ) => blindIndex(key, value, scope, options),
  sealEncoded,
  openEncoded,
});
