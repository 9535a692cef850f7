/**
 * Encrypted files in a folder for Node and Electron: one file per id (mode 0600), written to a
 * temporary name and renamed when complete, so a crash never leaves a half-written file under
 * its id. Streams are piped, never buffered whole.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../errors.js';
import type { FileStorage } from '../files/storage.js';
import { syncFolder } from './lib/atomic-file.js';

const FILE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * File storage in a folder.
 *
 * @example
 * ```ts
 * const files = new EncryptedFiles({ storage: new DirectoryFileStorage(join(dataDir, 'files')), vault });
 * ```
 */
export class DirectoryFileStorage implements FileStorage {
  readonly #folder: string;

  constructor(folder: string) {
    this.#folder = folder;
  }

  /** The folder, for the canary scan and for wipe. */
  get folder(): string {
    return this.#folder;
  }

  #path(fileId: string): string {
    // The id names a file on disk: only the safe alphabet, and never `.` or `..`.
    if (!FILE_ID.test(fileId) || /^\.+$/.test(fileId)) throw new InvalidArgumentError('invalid file id');
    return join(this.#folder, `${fileId}.bwf`);
  }

  async write(fileId: string, stream: ReadableStream<Uint8Array>): Promise<void> {
    const path = this.#path(fileId);
    await mkdir(this.#folder, { recursive: true, mode: 0o700 });
    const temp = join(this.#folder, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await pipeline(
        Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>),
        createWriteStream(temp, { mode: 0o600, flags: 'wx', flush: true } as Parameters<
          typeof createWriteStream
        >[1]),
      );
      await rename(temp, path);
      await syncFolder(this.#folder);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async read(fileId: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const path = this.#path(fileId);
    try {
      await stat(path);
    } catch {
      return undefined;
    }
    return Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
  }

  async delete(fileId: string): Promise<void> {
    await rm(this.#path(fileId), { force: true });
  }

  async destroy(): Promise<void> {
    await rm(this.#folder, { recursive: true, force: true });
  }
}
