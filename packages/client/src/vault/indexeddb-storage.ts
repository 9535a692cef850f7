/**
 * Vault state in IndexedDB for browsers and WebViews: one record in its own database, replaced by
 * a single `put`, which IndexedDB commits atomically.
 */
import { type IDBPDatabase, openDB } from 'idb';
import type { VaultStorage } from './storage.js';

const STORE = 'vault';
const KEY = 'state';

/**
 * Vault state in IndexedDB.
 *
 * @example
 * ```ts
 * const storage = await IndexedDbVaultStorage.open({ databaseName: 'inspections-vault' });
 * ```
 */
export class IndexedDbVaultStorage implements VaultStorage {
  readonly #db: IDBPDatabase;

  private constructor(db: IDBPDatabase) {
    this.#db = db;
  }

  /**
   * Opens (creating on first use) the database.
   *
   * @example
   * ```ts
   * const storage = await IndexedDbVaultStorage.open();
   * ```
   */
  static async open(options: { readonly databaseName?: string } = {}): Promise<IndexedDbVaultStorage> {
    const db = await openDB(options.databaseName ?? 'bulwark-vault', 1, {
      upgrade(database) {
        database.createObjectStore(STORE);
      },
      // Another connection (a wipe in another tab, an upgrade) needs the database: let it go.
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
      },
    });
    return new IndexedDbVaultStorage(db);
  }

  async read(): Promise<Uint8Array | undefined> {
    const value: unknown = await this.#db.get(STORE, KEY);
    return value instanceof Uint8Array ? value : undefined;
  }

  async write(record: Uint8Array): Promise<void> {
    await this.#db.put(STORE, new Uint8Array(record), KEY);
  }

  async delete(): Promise<void> {
    await this.#db.delete(STORE, KEY);
  }

  /** Closes the connection. */
  close(): void {
    this.#db.close();
  }
}
