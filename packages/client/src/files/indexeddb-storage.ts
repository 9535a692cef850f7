/**
 * Encrypted files in IndexedDB for browsers and WebViews. The ciphertext stream is stored as it
 * arrives, piece by piece (each piece its own record, so a large file is never held whole), and
 * the file's entry is written last: a file whose write was interrupted has no entry, is not
 * visible, and its pieces are removed by the next write or delete of that id. Reading streams the
 * pieces back with a cursor.
 */
import { deleteDB, type IDBPDatabase, openDB } from 'idb';
import type { FileStorage } from './storage.js';

const FILES = 'files';
const PIECES = 'pieces';

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
    await this.delete(fileId);
    const reader = stream.getReader();
    let index = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await this.#db.put(PIECES, new Uint8Array(value), [fileId, index]);
      index += 1;
    }
    await this.#db.put(FILES, { pieces: index }, fileId);
  }

  async read(fileId: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const entry = (await this.#db.get(FILES, fileId)) as { pieces: number } | undefined;
    if (entry === undefined) return undefined;
    let index = 0;
    const db = this.#db;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (index >= entry.pieces) {
          controller.close();
          return;
        }
        const piece = (await db.get(PIECES, [fileId, index])) as Uint8Array | undefined;
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

  async destroy(): Promise<void> {
    this.#db.close();
    await deleteDB(this.#name);
  }
}
