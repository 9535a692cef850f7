/**
 * Counts line feeds, to give a finding its line number without splitting the file into lines:
 * only the stretch up to each finding is counted; on a buffer, from line feed to line feed with
 * the native search while lines are long, else sixteen bytes at a time in WebAssembly (the
 * stretch copied into the module's memory 64 KiB at a time) or, for short stretches, four bytes
 * at a time here. Strings and bytes have a function each, and the few odd bytes at either end
 * one loop of their own, so that each stays monomorphic and optimised.
 */

import { instantiateScan, type TriggerScan, WASM_DATA } from './trigger-index.js';

/**
 * Number of `\n` in `source` at offsets `[from, to)`.
 *
 * @example
 * ```ts
 * countNewlines(Buffer.from('a\nb\nc'), 0, 5); // 2
 * ```
 */
export function countNewlines(source: string | Uint8Array, from: number, to: number): number {
  return typeof source === 'string'
    ? countInString(source, from, Math.min(to, source.length))
    : countInBytes(source, Math.max(0, from), Math.min(to, source.length));
}

function countInString(text: string, from: number, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Node's `Buffer#indexOf`, which searches with `memchr`; it accepts any Uint8Array. */
const indexOfByte = Buffer.prototype.indexOf as (this: Uint8Array, value: number, from: number) => number;

/**
 * Lines shorter than this are cheaper to count a word at a time than to find one by one: the
 * native search costs about 15 ns a call, the word loop about 0.4 ns a byte.
 */
const SHORT_LINE = 32;

function countInBytes(bytes: Uint8Array, from: number, end: number): number {
  // Long lines (minified code, where most files have few): jump from line feed to line feed.
  // After 16 short lines in a row, the rest is counted a word at a time.
  let n = 0;
  let at = from;
  for (let short = 0; short < 16 && end - at >= 16; ) {
    const i = indexOfByte.call(bytes, 10, at);
    if (i === -1 || i >= end) return n;
    n++;
    short = i - at < SHORT_LINE ? short + 1 : 0;
    at = i + 1;
  }
  return n + countInWords(bytes, at, end);
}

/**
 * Stretches from this long are counted in WebAssembly: on real code (short lines) it counts
 * 52 MB in 7 ms of CPU time, copying included, where the word loop below took 25 ms once
 * optimised and 40 ms in a fresh process. Below it, the copy and the call cost more than they save.
 */
const WASM_STRETCH = 4096;
/** Bytes copied into the module's memory at a time: what its memory holds past WASM_DATA. */
const WASM_CHUNK = 65536;

let wasm: { exports: TriggerScan; memory: Uint8Array } | undefined;

function countInWasm(bytes: Uint8Array, from: number, end: number): number {
  if (wasm === undefined) {
    const exports = instantiateScan();
    if (exports.memory.buffer.byteLength < WASM_DATA + WASM_CHUNK) {
      exports.memory.grow(Math.ceil((WASM_DATA + WASM_CHUNK - exports.memory.buffer.byteLength) / 65536));
    }
    wasm = { exports, memory: new Uint8Array(exports.memory.buffer) };
  }
  let n = 0;
  for (let a = from; a < end; a += WASM_CHUNK) {
    const b = Math.min(end, a + WASM_CHUNK);
    wasm.memory.set(bytes.subarray(a, b), WASM_DATA);
    n += wasm.exports.lineFeeds(WASM_DATA, WASM_DATA + (b - a));
  }
  return n;
}

function countInWords(bytes: Uint8Array, from: number, end: number): number {
  if (end - from >= WASM_STRETCH) return countInWasm(bytes, from, end);
  if (end - from < 16) return countOneByOne(bytes, from, end);
  const wordsFrom = from + ((4 - ((bytes.byteOffset + from) & 3)) & 3);
  const count = (end - wordsFrom) >> 2;
  const wordsEnd = wordsFrom + 4 * count;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + wordsFrom, count);
  let n = countOneByOne(bytes, from, wordsFrom) + countOneByOne(bytes, wordsEnd, end);
  for (let w = 0; w < count; w++) {
    // Bytes equal to 0x0a become zero; the high bit of each zero byte is then counted (the usual
    // SWAR zero-byte test, exact since no carry crosses a byte).
    const t = (words[w] as number) ^ 0x0a0a0a0a;
    const zero = ~(((t & 0x7f7f7f7f) + 0x7f7f7f7f) | t) & 0x80808080;
    if (zero !== 0) n += Math.imul(zero >>> 7, 0x01010101) >>> 24;
  }
  return n;
}

function countOneByOne(bytes: Uint8Array, from: number, end: number): number {
  let n = 0;
  for (let i = from; i < end; i++) if (bytes[i] === 10) n++;
  return n;
}

/**
 * Line numbers of positions met in (about) increasing order, counting each stretch once: inside
 * the decoded window that holds it, with one `indexOf` a line; elsewhere on the bytes.
 *
 * @example
 * ```ts
 * const lines = new LineCounter(bytes, 0, 1);
 * lines.lineAt(1200); // line of offset 1200
 * ```
 */
export class LineCounter {
  readonly #source: string | Uint8Array;
  #pos: number;
  #line: number;

  /** `line` is the line number at offset `from` of `source`. */
  constructor(source: string | Uint8Array, from: number, line: number) {
    this.#source = source;
    this.#pos = from;
    this.#line = line;
  }

  /**
   * The line at offset `at`. `window` is decoded text of the source starting at offset `base`,
   * used for the part of the stretch it covers.
   */
  lineAt(at: number, window = '', base = 0): number {
    if (at < this.#pos) return this.#line - this.#count(at, this.#pos, window, base);
    this.#line += this.#count(this.#pos, at, window, base);
    this.#pos = at;
    return this.#line;
  }

  #count(from: number, to: number, window: string, base: number): number {
    const windowEnd = base + window.length;
    if (typeof this.#source === 'string' || to <= base || from >= windowEnd) {
      return countNewlines(this.#source, from, to);
    }
    return (
      (from < base ? countNewlines(this.#source, from, base) : 0) +
      countNewlines(window, Math.max(from, base) - base, Math.min(to, windowEnd) - base) +
      (to > windowEnd ? countNewlines(this.#source, windowEnd, to) : 0)
    );
  }
}
