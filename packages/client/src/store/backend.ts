/**
 * The storage backend interface: what the encrypted store needs from a database, and nothing
 * more. Backends see only ids, timestamps, key ids, plain fields, envelopes and blind-index terms,
 * never a sensitive value in clear. Adapters: memory and IndexedDB here, SQLite in the Node entry.
 * Every backend passes the same behaviour suite (test/store.test.ts).
 */

/**
 * A record as stored.
 *
 * @example
 * ```ts
 * const row: StoredRecord = { collection: 'sites', id: 's1', storedAt: Date.now(), keyId: 'dek-1', plain: '{"name":"Depot"}', sealed: envelope, terms: ['residentPhone:9f…'] };
 * ```
 */
export interface StoredRecord {
  readonly collection: string;
  readonly id: string;
  /** When this device stored it (ms since the epoch), for the maximum age. */
  readonly storedAt: number;
  /** Data key id of `sealed`, or null when the record has nothing sealed. */
  readonly keyId: string | null;
  /** JSON of the plain fields (field mode), or null. */
  readonly plain: string | null;
  /** Envelope of the sensitive fields (or of the whole record), or null. */
  readonly sealed: Uint8Array | null;
  /** Blind-index terms, `field:hex`. */
  readonly terms: readonly string[];
}

/**
 * One change inside an atomic batch.
 *
 * @example
 * ```ts
 * const ops: WriteOp[] = [{ kind: 'put', record }, { kind: 'delete', collection: 'sites', id: 's2' }];
 * ```
 */
export type WriteOp =
  | { readonly kind: 'put'; readonly record: StoredRecord }
  | { readonly kind: 'delete'; readonly collection: string; readonly id: string }
  | { readonly kind: 'meta'; readonly key: string; readonly value: Uint8Array | null };

/**
 * A storage backend of the encrypted store.
 *
 * @example
 * ```ts
 * const backend: StoreBackend = new MemoryBackend();
 * await backend.write([{ kind: 'put', record }]);
 * ```
 */
export interface StoreBackend {
  /** A short name for reports: `memory`, `indexeddb`, `sqlite`. */
  readonly kind: string;
  get(collection: string, id: string): Promise<StoredRecord | undefined>;
  /** Records of a collection in id order, after `after`, at most `limit`. */
  list(
    collection: string,
    options?: { readonly after?: string; readonly limit?: number },
  ): Promise<StoredRecord[]>;
  /** Records of a collection that carry a blind-index term. */
  findByTerm(collection: string, term: string): Promise<StoredRecord[]>;
  /** Ids of records stored before `before`. */
  expired(collection: string, before: number, limit: number): Promise<string[]>;
  /**
   * Records whose envelope is under another key than `keyId`; with `collection`, only that
   * collection's (a backend must honour it: the store re-encrypts only what it declares).
   */
  staleKeys(keyId: string, limit: number, collection?: string): Promise<StoredRecord[]>;
  /** Applies every op of the batch in one transaction: all or nothing. */
  write(ops: readonly WriteOp[]): Promise<void>;
  getMeta(key: string): Promise<Uint8Array | undefined>;
  /**
   * Rewrites the backend's files so that rows deleted before leave no bytes behind in them (free
   * pages, unused space inside pages, the journal). Optional: a backend without it has no way to
   * (IndexedDB) or nothing to scrub (memory). The store runs it after it drops records.
   */
  scrub?(): Promise<void>;
  /** Deletes every record and meta entry, and the database files where there are any. */
  destroy(): Promise<void>;
  close(): Promise<void>;
}
