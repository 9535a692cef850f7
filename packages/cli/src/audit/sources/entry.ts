/** One file of the scanned input, from a directory or from inside a zip archive (nested or not). */
import type { Readable } from 'node:stream';

/** A file to analyse: its relative path, its size and how to read it. */
export interface SourceEntry {
  /**
   * Path relative to the scanned root, `/`-separated; an archive's walker gives the path inside
   * the archive, and the scan names an entry of an archive found in the input
   * `<archive path>!/<entry path>`.
   */
  path: string;
  /** Size in bytes (uncompressed, for archive entries). */
  size: number;
  /** Absolute path on disk, for files of a directory (lets a worker read it). */
  absolutePath?: string;
  /** Reads the whole file. */
  read(): Promise<Buffer>;
  /** Streams the file (for large files). */
  stream(): Promise<Readable>;
}

/** Called for each file, one at a time, in a stable order. */
export type EntryVisitor = (entry: SourceEntry) => Promise<void>;
