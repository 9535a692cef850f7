/**
 * Byte helpers for the binary formats of the crypto module: a writer and a bounds-checked reader
 * for big-endian integers and length-prefixed fields, and strict UTF-8 encoding.
 */
import { concatBytes } from '../bytes.js';
import { CryptoParameterError } from '../errors.js';

const encoder = new TextEncoder();

// A lone surrogate would be encoded as U+FFFD by TextEncoder, so two different strings could
// encode alike; the formats refuse them instead.
const LONE_SURROGATE = /\p{Cs}/u;

/** UTF-8 bytes of a well-formed string; lone surrogates are refused. */
export function utf8(text: string, what: string): Uint8Array<ArrayBuffer> {
  if (LONE_SURROGATE.test(text)) {
    throw new CryptoParameterError(`${what} contains a lone surrogate and has no UTF-8 form`);
  }
  return encoder.encode(text);
}

// The public helpers under the names the formats use.
export { concatBytes as concat } from '../bytes.js';

/** Appends big-endian integers and byte strings. */
export class ByteWriter {
  readonly #parts: Uint8Array[] = [];

  u8(value: number): this {
    this.#parts.push(Uint8Array.of(value));
    return this;
  }

  u16(value: number): this {
    const bytes = new Uint8Array(2);
    new DataView(bytes.buffer).setUint16(0, value);
    this.#parts.push(bytes);
    return this;
  }

  u32(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value);
    this.#parts.push(bytes);
    return this;
  }

  i64(value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigInt64(0, BigInt(value));
    this.#parts.push(bytes);
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#parts.push(value);
    return this;
  }

  finish(): Uint8Array<ArrayBuffer> {
    return concatBytes(...this.#parts);
  }
}

/** Thrown by {@link ByteReader} when a read runs past the end; callers map it to their error. */
export class OutOfBounds extends Error {}

/** Reads big-endian integers and byte strings; throws {@link OutOfBounds} past the end. */
export class ByteReader {
  readonly #bytes: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  #offset = 0;

  constructor(bytes: Uint8Array<ArrayBuffer>) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(length: number): number {
    if (length > this.remaining) throw new OutOfBounds();
    const at = this.#offset;
    this.#offset += length;
    return at;
  }

  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }

  u32(): number {
    return this.#view.getUint32(this.#take(4));
  }

  bytes(length: number): Uint8Array<ArrayBuffer> {
    const at = this.#take(length);
    return this.#bytes.slice(at, at + length);
  }
}
