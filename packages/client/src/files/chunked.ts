/**
 * Encrypted files (photos, PDFs, spreadsheets) as a stream of AEAD chunks, so a file of any size
 * is encrypted and decrypted in bounded memory. Each chunk is one core envelope whose AAD binds
 * the file id, the chunk's index and a last-chunk flag: chunks moved to another file or position
 * fail to open, a stream cut after any chunk lacks its last chunk, and data after the last chunk
 * is refused. Every integrity failure is core's generic `decryption_failed`.
 *
 * Layout (docs/store.md, "Encrypted files"):
 *   header: magic "BWF" | version 0x01 | chunk size (u32) | file id length (u8) | file id
 *   frame:  flags (u8: 0x01 = last) | envelope length (u32) | envelope
 * A decrypting stream emits a chunk only after it has authenticated it; a consumer must still
 * treat the file as invalid unless the stream ends without error (truncation is known only then).
 */
import { DecryptionError, type EncryptionContext, type Keyring } from '@bulwark/core/crypto';
import { InvalidArgumentError } from '../errors.js';
import { openOrFail } from '../lib/open-or-fail.js';
import { type Sealer, webCryptoSealer } from '../store/sealer.js';

const MAGIC = [0x42, 0x57, 0x46]; // "BWF"
const VERSION = 0x01;
const FLAG_LAST = 0x01;
/** Default plaintext bytes per chunk. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
const MIN_CHUNK = 1024;
const MAX_CHUNK = 4 * 1024 * 1024;
// Envelope overhead: 3 + key id (<= 64) + IV 12 + tag 16.
const MAX_OVERHEAD = 3 + 64 + 12 + 16;
const FILE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Options of {@link encryptFile} and {@link decryptFile}.
 *
 * @example
 * ```ts
 * const options: FileCryptoOptions = { keyring: vault.keys().keyring, fileId: 'photo-7f3a' };
 * ```
 */
export interface FileCryptoOptions {
  /** Seals under `keyring.primary`; opens with any key it holds. */
  readonly keyring: Keyring;
  /** The file's id, bound into every chunk. */
  readonly fileId: string;
  /** Plaintext bytes per chunk, 1 KiB to 4 MiB. Default 64 KiB. */
  readonly chunkSize?: number;
  readonly sealer?: Sealer;
}

// The chunk size is bound too, so every header byte is either checked exactly or authenticated.
function chunkContext(fileId: string, chunkSize: number, index: number, last: boolean): EncryptionContext {
  return { purpose: 'bulwark.file', fileId, chunkSize, index, last: last ? 1 : 0 };
}

function checkFileId(fileId: string): void {
  if (typeof fileId !== 'string' || !FILE_ID.test(fileId)) {
    throw new InvalidArgumentError('file ids are 1 to 64 characters of A-Z a-z 0-9 . _ : -');
  }
}

/** A FIFO of byte arrays that hands out exact-size slices without copying everything twice. */
class ByteQueue {
  readonly #parts: Uint8Array[] = [];
  #offset = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#parts.push(bytes);
    this.length += bytes.length;
  }

  /** The first `n` bytes, without consuming them. */
  peek(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    let filled = 0;
    let offset = this.#offset;
    for (const part of this.#parts) {
      if (filled === n) break;
      const count = Math.min(part.length - offset, n - filled);
      out.set(part.subarray(offset, offset + count), filled);
      filled += count;
      offset = 0;
    }
    return out;
  }

  take(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#parts[0] as Uint8Array;
      const available = head.length - this.#offset;
      const count = Math.min(available, n - filled);
      out.set(head.subarray(this.#offset, this.#offset + count), filled);
      filled += count;
      this.#offset += count;
      if (this.#offset === head.length) {
        this.#parts.shift();
        this.#offset = 0;
      }
    }
    this.length -= n;
    return out;
  }
}

/**
 * A stream transform that encrypts a file.
 *
 * @example
 * ```ts
 * const encrypted = photo.stream().pipeThrough(encryptFile({ keyring: vault.keys().keyring, fileId: 'photo-1' }));
 * ```
 */
export function encryptFile(options: FileCryptoOptions): TransformStream<Uint8Array, Uint8Array> {
  checkFileId(options.fileId);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) {
    throw new InvalidArgumentError('chunkSize must be 1 KiB to 4 MiB');
  }
  const sealer = options.sealer ?? webCryptoSealer;
  const queue = new ByteQueue();
  let index = 0;
  const frame = async (plaintext: Uint8Array<ArrayBuffer>, last: boolean): Promise<Uint8Array> => {
    const envelope = await sealer.seal(
      options.keyring.primary,
      plaintext,
      chunkContext(options.fileId, chunkSize, index, last),
    );
    plaintext.fill(0);
    index += 1;
    const out = new Uint8Array(5 + envelope.length);
    out[0] = last ? FLAG_LAST : 0;
    new DataView(out.buffer).setUint32(1, envelope.length);
    out.set(envelope, 5);
    return out;
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      const id = new TextEncoder().encode(options.fileId);
      const header = new Uint8Array(3 + 1 + 4 + 1 + id.length);
      header.set(MAGIC, 0);
      header[3] = VERSION;
      new DataView(header.buffer).setUint32(4, chunkSize);
      header[8] = id.length;
      header.set(id, 9);
      controller.enqueue(header);
    },
    async transform(bytes, controller) {
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('file streams carry Uint8Arrays');
      queue.push(bytes);
      // Hold the last full chunk back: only the end of the input tells it is the last one.
      while (queue.length > chunkSize) controller.enqueue(await frame(queue.take(chunkSize), false));
    },
    async flush(controller) {
      controller.enqueue(await frame(queue.take(queue.length), true));
    },
  });
}

/**
 * A stream transform that decrypts and authenticates a file; errors with `decryption_failed` on
 * any tampering, truncation, reordering or splicing.
 *
 * @example
 * ```ts
 * const plain = stored.pipeThrough(decryptFile({ keyring: vault.keys().keyring, fileId: 'photo-1' }));
 * ```
 */
export function decryptFile(options: FileCryptoOptions): TransformStream<Uint8Array, Uint8Array> {
  checkFileId(options.fileId);
  const sealer = options.sealer ?? webCryptoSealer;
  const queue = new ByteQueue();
  let headerDone = false;
  let index = 0;
  let ended = false;
  let maxFrame = MAX_CHUNK + MAX_OVERHEAD;
  let chunkSize = 0;
  const expectedId = new TextEncoder().encode(options.fileId);

  const pump = async (controller: TransformStreamDefaultController<Uint8Array>): Promise<void> => {
    if (!headerDone) {
      if (queue.length < 9) return;
      const fixed = queue.peek(9);
      const idLength = fixed[8] as number;
      if (fixed[0] !== MAGIC[0] || fixed[1] !== MAGIC[1] || fixed[2] !== MAGIC[2] || fixed[3] !== VERSION) {
        throw new DecryptionError();
      }
      chunkSize = new DataView(fixed.buffer).getUint32(4);
      if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK || idLength !== expectedId.length)
        throw new DecryptionError();
      maxFrame = chunkSize + MAX_OVERHEAD;
      if (queue.length < 9 + idLength) return;
      queue.take(9);
      // The id is checked here for a clear early failure; the AAD of every chunk binds it anyway.
      const id = queue.take(idLength);
      for (let i = 0; i < idLength; i++) if (id[i] !== expectedId[i]) throw new DecryptionError();
      headerDone = true;
    }
    while (queue.length >= 5) {
      if (ended) throw new DecryptionError();
      const head = queue.peek(5);
      const flags = head[0] as number;
      const length = new DataView(head.buffer).getUint32(1);
      if ((flags & ~FLAG_LAST) !== 0 || length > maxFrame) throw new DecryptionError();
      if (queue.length < 5 + length) return;
      queue.take(5);
      const last = flags === FLAG_LAST;
      const plaintext = await openOrFail(
        sealer,
        options.keyring,
        queue.take(length),
        chunkContext(options.fileId, chunkSize, index, last),
      );
      index += 1;
      ended = last;
      controller.enqueue(plaintext);
    }
    if (ended && queue.length > 0) throw new DecryptionError();
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(bytes, controller) {
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('file streams carry Uint8Arrays');
      queue.push(bytes);
      await pump(controller);
    },
    async flush(controller) {
      await pump(controller);
      if (!ended || queue.length > 0) throw new DecryptionError();
    },
  });
}

/**
 * The data key id of a stored file's first chunk, read from its envelope header without a key
 * (key ids are public labels, docs/crypto.md); `undefined` when the bytes are not a file. Every
 * chunk of a file is sealed by one `encryptFile`, so the first tells which key the file is under.
 * Reads only the first bytes and cancels the stream.
 *
 * @example
 * ```ts
 * const keyId = await readFileKeyId(await storage.read('photo-1'));
 * ```
 */
export async function readFileKeyId(stream: ReadableStream<Uint8Array>): Promise<string | undefined> {
  const reader = stream.getReader();
  const queue = new ByteQueue();
  const need = async (n: number): Promise<boolean> => {
    while (queue.length < n) {
      const { done, value } = await reader.read();
      if (done) return false;
      queue.push(value);
    }
    return true;
  };
  try {
    if (!(await need(9))) return undefined;
    const headerLength = 9 + (queue.peek(9)[8] as number);
    // Header, frame head (5), then the envelope's format, algorithm and key id length (3).
    if (!(await need(headerLength + 8))) return undefined;
    const keyIdLength = queue.peek(headerLength + 8)[headerLength + 7] as number;
    const total = headerLength + 8 + keyIdLength;
    if (keyIdLength === 0 || !(await need(total))) return undefined;
    return new TextDecoder().decode(queue.peek(total).subarray(total - keyIdLength));
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
