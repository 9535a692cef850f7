/**
 * IndexedDB store backend for browsers, PWAs and WebViews (through idb). One object store of
 * records keyed by [collection, id], with indexes for blind-index terms (multi-entry), storage
 * time and key id; one store of meta entries (vault state, sync checkpoint). A batch is one
 * readwrite transaction, which IndexedDB commits atomically.
 */
import { deleteDB, type IDBPDatabase, openDB } from 'idb';
import type { StoreBackend, StoredRecord, WriteOp } from './backend.js';

const RECORDS = 'records';
const META = 'meta';
const SEP = '\u0000';

interface Row {
  collection: string;
  id: string;
  storedAt: number;
  keyId?: string;
  plain: string | null;
  sealed: Uint8Array | null;
  terms: string[];
}

/**
 * A store backend in IndexedDB.
 *
 * @example
 * ```ts
 * const backend = await IndexedDbBackend.open({ databaseName: 'inspections' });
 * ```
 */
export class IndexedDbBackend implements StoreBackend {
  readonly kind = 'indexeddb';
  readonly #db: IDBPDatabase;
  readonly #name: string;
  #closed = false;

  private constructor(db: IDBPDatabase, name: string) {
    this.#db = db;
    this.#name = name;
  }

  /**
   * Opens (creating on first use) the database.
   *
   * @example
   * ```ts
   * const backend = await IndexedDbBackend.open();
   * ```
   */
  static async open(options: { readonly databaseName?: string } = {}): Promise<IndexedDbBackend> {
    const name = options.databaseName ?? 'bulwark-store';
    const db = await openDB(name, 1, {
      upgrade(database) {
        const records = database.createObjectStore(RECORDS, { keyPath: ['collection', 'id'] });
        records.createIndex('terms', 'terms', { multiEntry: true });
        records.createIndex('storedAt', ['collection', 'storedAt']);
        records.createIndex('keyId', 'keyId');
        database.createObjectStore(META);
      },
      // Another connection (a wipe in another tab, an upgrade) needs the database: let it go.
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
      },
    });
    return new IndexedDbBackend(db, name);
  }

  async get(collection: string, id: string): Promise<StoredRecord | undefined> {
    const row = (await this.#db.get(RECORDS, [collection, id])) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  async list(collection: string, options: { after?: string; limit?: number } = {}): Promise<StoredRecord[]> {
    const range = IDBKeyRange.bound(
      [collection, options.after ?? ''],
      [collection, []],
      options.after !== undefined,
    );
    const rows = (await this.#db.getAll(RECORDS, range, options.limit)) as Row[];
    return rows.map(fromRow);
  }

  async findByTerm(collection: string, term: string): Promise<StoredRecord[]> {
    const rows = (await this.#db.getAllFromIndex(RECORDS, 'terms', `${collection}${SEP}${term}`)) as Row[];
    return rows.map(fromRow).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async expired(collection: string, before: number, limit: number): Promise<string[]> {
    const range = IDBKeyRange.bound(
      [collection, Number.NEGATIVE_INFINITY],
      [collection, before],
      false,
      true,
    );
    const keys = (await this.#db.getAllKeysFromIndex(RECORDS, 'storedAt', range, limit)) as unknown as [
      string,
      string,
    ][];
    return keys.map((k) => k[1]);
  }

  async staleKeys(keyId: string, limit: number, collection?: string): Promise<StoredRecord[]> {
    if (collection !== undefined) {
      // The keyId index spans collections; walking the collection's own key range keeps the
      // scan to rows this caller may touch.
      const out: Row[] = [];
      let cursor = await this.#db
        .transaction(RECORDS)
        .store.openCursor(IDBKeyRange.bound([collection, ''], [collection, []]));
      while (cursor !== null && out.length < limit) {
        const row = cursor.value as Row;
        if (row.keyId !== undefined && row.keyId !== keyId) out.push(row);
        cursor = await cursor.continue();
      }
      return out.map(fromRow);
    }
    const below = (await this.#db.getAllFromIndex(
      RECORDS,
      'keyId',
      IDBKeyRange.upperBound(keyId, true),
      limit,
    )) as Row[];
    const above =
      below.length < limit
        ? ((await this.#db.getAllFromIndex(
            RECORDS,
            'keyId',
            IDBKeyRange.lowerBound(keyId, true),
            limit - below.length,
          )) as Row[])
        : [];
    return [...below, ...above].map(fromRow);
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const tx = this.#db.transaction([RECORDS, META], 'readwrite');
    const records = tx.objectStore(RECORDS);
    const meta = tx.objectStore(META);
    const pending: Promise<unknown>[] = [];
    try {
      for (const op of ops) {
        if (op.kind === 'put') pending.push(records.put(toRow(op.record)));
        else if (op.kind === 'delete') pending.push(records.delete([op.collection, op.id]));
        else if (op.value === null) pending.push(meta.delete(op.key));
        else pending.push(meta.put(new Uint8Array(op.value), op.key));
      }
    } catch (err) {
      // A request refused synchronously (e.g. an invalid key) does not abort by itself: the
      // requests already queued would commit. Abort, so the batch is all or nothing.
      tx.abort();
      await Promise.allSettled([...pending, tx.done]);
      throw err;
    }
    // A failed request aborts the transaction; tx.done then rejects and nothing is applied.
    await Promise.all([...pending, tx.done]);
  }

  async getMeta(key: string): Promise<Uint8Array | undefined> {
    const value: unknown = await this.#db.get(META, key);
    return value instanceof Uint8Array ? value : undefined;
  }

  async destroy(): Promise<void> {
    // Twice is harmless: the store's wipe listener and the Wiper's `data` may both destroy it.
    if (!this.#closed) {
      const tx = this.#db.transaction([RECORDS, META], 'readwrite');
      await Promise.all([tx.objectStore(RECORDS).clear(), tx.objectStore(META).clear(), tx.done]);
      await this.close();
    }
    await deleteDB(this.#name);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#db.close();
  }
}

function toRow(record: StoredRecord): Row {
  return {
    collection: record.collection,
    id: record.id,
    storedAt: record.storedAt,
    // IndexedDB leaves a record out of an index whose key path is missing: records with nothing
    // sealed then never show up as "under an old key".
    ...(record.keyId === null ? {} : { keyId: record.keyId }),
    plain: record.plain,
    sealed: record.sealed === null ? null : new Uint8Array(record.sealed),
    terms: record.terms.map((t) => `${record.collection}${SEP}${t}`),
  };
}

function fromRow(row: Row): StoredRecord {
  const prefix = `${row.collection}${SEP}`;
  return {
    collection: row.collection,
    id: row.id,
    storedAt: row.storedAt,
    keyId: row.keyId ?? null,
    plain: row.plain,
    sealed: row.sealed,
    terms: row.terms.map((t) => (t.startsWith(prefix) ? t.slice(prefix.length) : t)),
  };
}
