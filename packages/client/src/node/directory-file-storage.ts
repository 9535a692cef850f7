/**
 * Encrypted files in a folder for Node and Electron: one file per id (mode 0600), written to a
 * temporary name and renamed when complete, so a crash never leaves a half-written file under
 * its id. Temporary files a killed write left behind are removed when the storage opens (before
 * its first operation). Streams are piped, never buffered whole. The folder is the storage's own.
 *
 * File names are spelled so that a case-insensitive file system (macOS, Windows) keeps every id
 * apart and Windows reads no `:` as an alternate data stream: an upper-case letter is written as
 * `^` and the letter in lower case, a `:` as `^-` (`Report:2` → `^report^-2.bwf`). Ids of lower-case
 * letters, digits, `.`, `_` and `-` are their own names. Files written by earlier versions under
 * the id itself are still read, listed and deleted, and replaced by the new name at their next
 * write.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../errors.js';
import type { FileStorage } from '../files/storage.js';
import { syncFolder } from './lib/atomic-file.js';

const FILE_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const SUFFIX = '.bwf';
/** A file name of the current spelling: lower case, digits, `.`, `_`, `-` and `^` escapes. */
const SPELLED = /^(?:[a-z0-9._-]|\^[a-z-])+$/;

/** The file name (without suffix) of `fileId`: case and `:` escaped (see the module comment). */
function spell(fileId: string): string {
  return fileId.replace(/[A-Z:]/g, (c) => (c === ':' ? '^-' : `^${c.toLowerCase()}`));
}

/** The file id a current-spelling name stands for. */
function unspell(name: string): string {
  return name.replace(/\^([a-z-])/g, (_, c: string) => (c === '-' ? ':' : c.toUpperCase()));
}
/** The temporary names `write` uses; a file id cannot produce one (ids end in `.bwf`). */
const TEMP = /^\.[0-9a-f]{12}\.tmp$/;

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
  #ready: Promise<void> | undefined;

  constructor(folder: string) {
    this.#folder = folder;
  }

  /**
   * Opens the folder (creating it, mode 0700) and removes the temporary files of writes that were
   * killed midway. `new DirectoryFileStorage(folder)` does the same before its first operation.
   *
   * @example
   * ```ts
   * const storage = await DirectoryFileStorage.open(join(dataDir, 'files'));
   * ```
   */
  static async open(folder: string): Promise<DirectoryFileStorage> {
    const storage = new DirectoryFileStorage(folder);
    await storage.#prepare();
    return storage;
  }

  #prepare(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.#folder, { recursive: true, mode: 0o700 });
      let removed = false;
      for (const name of await readdir(this.#folder)) {
        if (!TEMP.test(name)) continue;
        await rm(join(this.#folder, name), { force: true });
        removed = true;
      }
      if (removed) await syncFolder(this.#folder);
    })().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  /** The folder, for the canary scan and for wipe. */
  get folder(): string {
    return this.#folder;
  }

  #path(fileId: string): string {
    // The id names a file on disk: only the safe alphabet, and never `.` or `..`.
    if (!FILE_ID.test(fileId) || /^\.+$/.test(fileId)) throw new InvalidArgumentError('invalid file id');
    return join(this.#folder, `${spell(fileId)}${SUFFIX}`);
  }

  /** Where an earlier version wrote `fileId` (the id itself), when that differs from its path. */
  #legacyPath(fileId: string): string | undefined {
    return spell(fileId) === fileId ? undefined : join(this.#folder, `${fileId}${SUFFIX}`);
  }

  /** The path `fileId` is stored under now: the current one, else an earlier version's. */
  async #existing(fileId: string): Promise<string | undefined> {
    const path = this.#path(fileId);
    for (const candidate of [path, this.#legacyPath(fileId)]) {
      if (candidate === undefined) continue;
      try {
        await stat(candidate);
        return candidate;
      } catch {
        // Not under this name.
      }
    }
    return undefined;
  }

  async write(fileId: string, stream: ReadableStream<Uint8Array>): Promise<void> {
    const path = this.#path(fileId);
    await this.#prepare();
    const temp = join(this.#folder, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await pipeline(
        Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>),
        createWriteStream(temp, { mode: 0o600, flags: 'wx', flush: true } as Parameters<
          typeof createWriteStream
        >[1]),
      );
      await rename(temp, path);
      // An earlier version's copy of the same id would come back at the next listing.
      const legacy = this.#legacyPath(fileId);
      if (legacy !== undefined) await rm(legacy, { force: true });
      await syncFolder(this.#folder);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async read(fileId: string): Promise<ReadableStream<Uint8Array> | undefined> {
    await this.#prepare();
    // Checks the id (through #path) and finds the file under either spelling.
    const path = await this.#existing(fileId);
    if (path === undefined) return undefined;
    return Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
  }

  async delete(fileId: string): Promise<void> {
    const path = this.#path(fileId);
    await this.#prepare();
    await rm(path, { force: true });
    const legacy = this.#legacyPath(fileId);
    if (legacy !== undefined) await rm(legacy, { force: true });
  }

  async list(): Promise<string[]> {
    await this.#prepare();
    const ids = new Set<string>();
    for (const file of await readdir(this.#folder)) {
      if (!file.endsWith(SUFFIX)) continue;
      const name = file.slice(0, -SUFFIX.length);
      // The current spelling, else an earlier version's name (the id itself).
      const id = SPELLED.test(name) ? unspell(name) : name;
      if (FILE_ID.test(id) && !/^\.+$/.test(id)) ids.add(id);
    }
    return [...ids];
  }

  async destroy(): Promise<void> {
    this.#ready = undefined;
    await rm(this.#folder, { recursive: true, force: true });
  }
}
