/**
 * SQLite store backend for Node and Electron (better-sqlite3). WAL journal with
 * `synchronous = FULL`, so a write acknowledged to the app survives a process kill and a power
 * loss; `secure_delete = ON`, so deleted rows are overwritten in the file rather than left in
 * free pages; a batch that deletes rows or changes meta entries ends with a WAL checkpoint that
 * truncates the WAL to zero bytes, and `scrub()` rebuilds the file so that no copy of a deleted
 * row is left in unused space inside pages (the store runs it when it drops records). The database file is created mode 0600 before SQLite opens it, and SQLite gives its
 * WAL and shared-memory files the database file's mode; files of an existing database are narrowed
 * to 0600 on open. A batch is one transaction. `destroy()` closes the database and deletes the file
 * with its WAL and shared-memory files. Layout: docs/store.md.
 */
import { chmod, open, rm } from 'node:fs/promises';
import Database from 'better-sqlite3';
import type { StoreBackend, StoredRecord, WriteOp } from '../store/backend.js';

interface Row {
  collection: string;
  id: string;
  stored_at: number;
  key_id: string | null;
  plain: string | null;
  sealed: Uint8Array | null;
  terms: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  stored_at INTEGER NOT NULL,
  key_id TEXT,
  plain TEXT,
  sealed BLOB,
  terms TEXT,
  PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_stored_at ON records (collection, stored_at);
DROP INDEX IF EXISTS records_key_id;
CREATE TABLE IF NOT EXISTS terms (
  collection TEXT NOT NULL,
  term TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (collection, term, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS terms_by_record ON terms (collection, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
`;

/**
 * Options of {@link SqliteBackend.open}.
 *
 * @example
 * ```ts
 * const options: SqliteBackendOptions = { path: 'data/app.db', synchronous: 'FULL' };
 * ```
 */
export interface SqliteBackendOptions {
  /** Database file; `:memory:` for a throwaway database. */
  readonly path: string;
  /** `FULL` (default) survives power loss; `NORMAL` only a process crash, and writes faster. */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

/**
 * A store backend in SQLite.
 *
 * @example
 * ```ts
 * const backend = await SqliteBackend.open({ path: join(dataDir, 'store.db') });
 * ```
 */
export class SqliteBackend implements StoreBackend {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #statements;

  private constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.#path = path;
    this.#statements = {
      get: db.prepare<[string, string], Row>('SELECT * FROM records WHERE collection = ? AND id = ?'),
      listFirst: db.prepare<[string, number], Row>(
        'SELECT * FROM records WHERE collection = ? ORDER BY id LIMIT ?',
      ),
      listAfter: db.prepare<[string, string, number], Row>(
        'SELECT * FROM records WHERE collection = ? AND id > ? ORDER BY id LIMIT ?',
      ),
      byTerm: db.prepare<[string, string], Row>(
        'SELECT r.* FROM terms t JOIN records r ON r.collection = t.collection AND r.id = t.id WHERE t.collection = ? AND t.term = ? ORDER BY r.id',
      ),
      expired: db.prepare<[string, number, number], { id: string }>(
        'SELECT id FROM records WHERE collection = ? AND stored_at < ? LIMIT ?',
      ),
      stale: db.prepare<[string, number], Row>(
        'SELECT * FROM records WHERE key_id IS NOT NULL AND key_id <> ? LIMIT ?',
      ),
      staleIn: db.prepare<[string, string, number], Row>(
        'SELECT * FROM records WHERE collection = ? AND key_id IS NOT NULL AND key_id <> ? LIMIT ?',
      ),
      put: db.prepare(
        'INSERT OR REPLACE INTO records (collection, id, stored_at, key_id, plain, sealed, terms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteRecord: db.prepare('DELETE FROM records WHERE collection = ? AND id = ?'),
      deleteTerms: db.prepare('DELETE FROM terms WHERE collection = ? AND id = ?'),
      insertTerm: db.prepare('INSERT OR IGNORE INTO terms (collection, term, id) VALUES (?, ?, ?)'),
      getMeta: db.prepare<[string], { value: Uint8Array }>('SELECT value FROM meta WHERE key = ?'),
      putMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
    };
  }

  /**
   * Opens (creating on first use) the database file.
   *
   * @example
   * ```ts
   * const backend = await SqliteBackend.open({ path: 'data/store.db' });
   * ```
   */
  static async open(options: SqliteBackendOptions): Promise<SqliteBackend> {
    if (options.path !== ':memory:' && options.path !== '') await ownerOnly(options.path);
    const db = new Database(options.path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
      db.pragma('secure_delete = ON');
      // VACUUM (scrub) and big sorts build a temporary copy of the data: in memory, never in
      // the OS's temporary folder, where it would outlive the app's own files.
      db.pragma('temp_store = MEMORY');
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteBackend(db, options.path);
  }

  /** The database file and its companions, for the canary scan and for wipe. */
  get files(): string[] {
    return this.#path === ':memory:'
      ? []
      : [this.#path, `${this.#path}-wal`, `${this.#path}-shm`, `${this.#path}-journal`];
  }

  /** Runs SQLite's integrity check; `ok` when the file is sound. */
  integrityCheck(): string {
    return String(this.#db.pragma('integrity_check', { simple: true }));
  }

  async get(collection: string, id: string): Promise<StoredRecord | undefined> {
    const row = this.#statements.get.get(collection, id);
    return row === undefined ? undefined : fromRow(row);
  }

  async list(collection: string, options: { after?: string; limit?: number } = {}): Promise<StoredRecord[]> {
    const limit = options.limit ?? -1;
    const rows =
      options.after === undefined
        ? this.#statements.listFirst.all(collection, limit)
        : this.#statements.listAfter.all(collection, options.after, limit);
    return rows.map(fromRow);
  }

  async findByTerm(collection: string, term: string): Promise<StoredRecord[]> {
    return this.#statements.byTerm.all(collection, term).map(fromRow);
  }

  async expired(collection: string, before: number, limit: number): Promise<string[]> {
    return this.#statements.expired.all(collection, before, limit).map((r) => r.id);
  }

  async staleKeys(keyId: string, limit: number, collection?: string): Promise<StoredRecord[]> {
    const rows =
      collection === undefined
        ? this.#statements.stale.all(keyId, limit)
        : this.#statements.staleIn.all(collection, keyId, limit);
    return rows.map(fromRow);
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    const s = this.#statements;
    let scrub = false;
    this.#db.transaction(() => {
      for (const op of ops) {
        if (op.kind === 'put') {
          const r = op.record;
          s.put.run(
            r.collection,
            r.id,
            r.storedAt,
            r.keyId,
            r.plain,
            r.sealed,
            r.terms.length === 0 ? null : r.terms.join('\n'),
          );
          s.deleteTerms.run(r.collection, r.id);
          for (const term of r.terms) s.insertTerm.run(r.collection, term, r.id);
        } else if (op.kind === 'delete') {
          scrub = true;
          s.deleteRecord.run(op.collection, op.id);
          s.deleteTerms.run(op.collection, op.id);
        } else {
          scrub = true;
          if (op.value === null) s.deleteMeta.run(op.key);
          else s.putMeta.run(op.key, op.value);
        }
      }
    })();
    // secure_delete zeroes a deleted row in its page, but the WAL still holds the page images
    // written before, with the row in them, and SQLite reuses the WAL file without shortening it:
    // a dropped record's plain fields, or a vault state replaced by a passcode change, stayed
    // readable there. Copying the WAL into the database and truncating it to zero bytes leaves
    // only the zeroed pages. Batches of puts alone skip it (the bulk write path stays as fast).
    if (scrub) this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Rebuilds the database (VACUUM) and truncates the WAL, so that no row deleted before survives
   * in the files. `secure_delete` alone does not do it: when SQLite rebalances a b-tree page it
   * copies the page's cells and leaves the unused space between them as it was, and the earlier
   * copies of a row stay there after the row is deleted (a dropped record's plain fields and id
   * were found there by the canary scan). Costs a rewrite of the whole file.
   *
   * @example
   * ```ts
   * const sqlite = await SqliteBackend.open({ path: 'data/store.db' });
   * await sqlite.write([{ kind: 'delete', collection: 'sites', id: 's1' }]);
   * await sqlite.scrub();
   * ```
   */
  async scrub(): Promise<void> {
    this.#db.exec('VACUUM');
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async getMeta(key: string): Promise<Uint8Array | undefined> {
    const row = this.#statements.getMeta.get(key);
    return row === undefined ? undefined : new Uint8Array(row.value);
  }

  async destroy(): Promise<void> {
    if (this.#db.open) {
      this.#db.exec('DELETE FROM records; DELETE FROM terms; DELETE FROM meta;');
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
      this.#db.close();
    }
    for (const file of this.files) await rm(file, { force: true });
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

/** Creates the database file 0600 if missing, and narrows it and its companions to 0600. */
async function ownerOnly(path: string): Promise<void> {
  // SQLite would create the file with the process umask (often 0644), and its -wal and -shm with
  // the same mode: a file created here first sets the mode all three get.
  const handle = await open(path, 'a', 0o600);
  await handle.close();
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    await chmod(file, 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

function fromRow(row: Row): StoredRecord {
  return {
    collection: row.collection,
    id: row.id,
    storedAt: row.stored_at,
    keyId: row.key_id,
    plain: row.plain,
    sealed: row.sealed === null ? null : new Uint8Array(row.sealed),
    terms: row.terms === null ? [] : row.terms.split('\n'),
  };
}
