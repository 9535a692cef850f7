/**
 * Encrypted files in IndexedDB for browsers and WebViews. The ciphertext stream is stored as it
 * arrives, piece by piece (each piece its own record, so a large file is never held whole), and
 * the file's entry is switched last, in the transaction that drops the pieces it replaces: a write
 * that was interrupted leaves the previous version whole and visible, and its own pieces are
 * removed by the next write or delete of that id. Reading streams the pieces back.
 */
import { deleteDB, type IDBPDatabase, openDB } from 'idb';
import type { FileStorage } from './storage.js';

const FILES = 'files';
const PIECES = 'pieces';

/** A file's entry: its pieces are keyed `[fileId, base + i]` (files stored before `base` existed: 0). */
interface Entry {
  readonly pieces: number;
  readonly base?: number;
}

/**
 * File storage in IndexedDB.
 *
 * @example
 * ```ts
 * const files = new EncryptedFiles({ storage: await IndexedDbFileStorage.open(), vault });
 * ```
 */
export class IndexedDbFileStorage implements FileStorage {
  readonly #db: IDBPDatabase;
  readonly #name: string;

  private constructor(db: IDBPDatabase, name: string) {
    this.#db = db;
    this.#name = name;
  }

  /**
   * Opens (creating on first use) the database.
   *
   * @example
   * ```ts
   * const storage = await IndexedDbFileStorage.open({ databaseName: 'inspections-files' });
   * ```
   */
  static async open(options: { readonly databaseName?: string } = {}): Promise<IndexedDbFileStorage> {
    const name = options.databaseName ?? 'bulwark-files';
    const db = await openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore(FILES);
        database.createObjectStore(PIECES);
      },
      // Another connection (a wipe in another tab, an upgrade) needs the database: let it go.
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
      },
    });
    return new IndexedDbFileStorage(db, name);
  }

  async write(fileId: string, stream: ReadableStream<Uint8Array>): Promise<void> {
    const current = await this.#entry(fileId);
    // Pieces of an earlier interrupted write (outside the current entry's range) go first.
    await this.#deletePieces(fileId, current);
    // The new pieces go after the current ones, which stay readable until the entry switches.
    const base = current === undefined ? 0 : (current.base ?? 0) + current.pieces;
    const reader = stream.getReader();
    let index = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await this.#db.put(PIECES, new Uint8Array(value), [fileId, base + index]);
      index += 1;
    }
    const next: Entry = { pieces: index, base };
    const tx = this.#db.transaction([FILES, PIECES], 'readwrite');
    await Promise.all([
      tx.objectStore(FILES).put(next, fileId),
      base > 0
        ? tx.objectStore(PIECES).delete(IDBKeyRange.bound([fileId, 0], [fileId, base], false, true))
        : undefined,
      tx.done,
    ]);
  }

  async read(fileId: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const entry = await this.#entry(fileId);
    if (entry === undefined) return undefined;
    const base = entry.base ?? 0;
    let index = 0;
    const db = this.#db;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (index >= entry.pieces) {
          controller.close();
          return;
        }
        const piece = (await db.get(PIECES, [fileId, base + index])) as Uint8Array | undefined;
        index += 1;
        // A missing piece ends the stream early; the decrypting stream then reports truncation.
        if (piece === undefined) controller.close();
        else controller.enqueue(piece);
      },
    });
  }

  async delete(fileId: string): Promise<void> {
    const tx = this.#db.transaction([FILES, PIECES], 'readwrite');
    await Promise.all([
      tx.objectStore(FILES).delete(fileId),
      tx.objectStore(PIECES).delete(IDBKeyRange.bound([fileId, 0], [fileId, Number.POSITIVE_INFINITY])),
      tx.done,
    ]);
  }

  async list(): Promise<string[]> {
    return (await this.#db.getAllKeys(FILES)).map(String);
  }

  async #entry(fileId: string): Promise<Entry | undefined> {
    return (await this.#db.get(FILES, fileId)) as Entry | undefined;
  }

  /** Deletes the pieces of `fileId` that `keep` does not cover (all of them without `keep`). */
  async #deletePieces(fileId: string, keep: Entry | undefined): Promise<void> {
    const tx = this.#db.transaction(PIECES, 'readwrite');
    const from = keep === undefined ? 0 : (keep.base ?? 0);
    const to = keep === undefined ? 0 : from + keep.pieces;
    await Promise.all([
      from > 0 ? tx.store.delete(IDBKeyRange.bound([fileId, 0], [fileId, from], false, true)) : undefined,
      tx.store.delete(IDBKeyRange.bound([fileId, to], [fileId, Number.POSITIVE_INFINITY])),
      tx.done,
    ]);
  }

  async destroy(): Promise<void> {
    this.#db.close();
    await deleteDB(this.#name);
  }
}
