/**
 * The text scan of a file too large to hold whole, read as a stream and scanned in chunks of
 * about 8 MiB. A chunk reports the triggers that start before its last 64 KiB; the next chunk
 * starts with those 64 KiB and reports them, so a match of up to 64 KiB across a boundary is
 * whole in exactly one chunk. The next chunk also keeps the 4 KiB before them, so that what
 * precedes a trigger (a name before `=`, a letter before `AKIA`) is seen there as well.
 */
import type { RawFinding } from './finding.js';
import type { TextEngine, TextFileInfo } from './text-engine.js';
import { looksBinary, scanTextChunk } from './text-file.js';

/** Sizes of the chunks of a streamed scan, in bytes. */
export interface Chunking {
  /** Bytes a chunk reports triggers for. */
  chunk: number;
  /** Bytes a chunk shares with the next, which reports their triggers. */
  overlap: number;
  /** Bytes kept before those, for the detectors that look back. */
  context: number;
}

/** The sizes the audit uses. */
export const STREAM_CHUNKING: Chunking = { chunk: 8 * 1024 * 1024, overlap: 64 * 1024, context: 4 * 1024 };

/**
 * Scans `stream`, appending findings (with their lines, unless the first bytes show a binary) to
 * `out`, and calls `onBytes` with the size of each piece read. Errors of the stream propagate.
 *
 * @example
 * ```ts
 * await scanTextStream(engine, createReadStream('vendor.js'), { path: 'vendor.js', config: false }, findings);
 * ```
 */
export async function scanTextStream(
  engine: TextEngine,
  stream: AsyncIterable<Uint8Array>,
  info: TextFileInfo,
  out: RawFinding[],
  onBytes: (bytes: number) => void = () => undefined,
  chunking: Chunking = STREAM_CHUNKING,
): Promise<void> {
  const parts: Buffer[] = [];
  let size = 0;
  let from = 0;
  let line = 1;
  let binary: boolean | undefined;
  for await (const piece of stream) {
    const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    binary ??= looksBinary(buf);
    onBytes(buf.length);
    parts.push(buf);
    size += buf.length;
    if (size >= from + chunking.chunk + chunking.overlap) {
      const joined = Buffer.concat(parts, size);
      const accept = size - chunking.overlap;
      line = scanTextChunk(engine, joined, from, accept, info, !binary, line, out, true);
      const keep = Math.max(0, accept - chunking.context);
      // A copy, so that the chunk's memory is not kept alive by its tail.
      parts.length = 0;
      parts.push(Buffer.from(joined.subarray(keep)));
      size -= keep;
      from = accept - keep;
    }
  }
  scanTextChunk(engine, Buffer.concat(parts, size), from, size, info, binary !== true, line, out);
}
