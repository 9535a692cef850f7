/**
 * The encrypted offline store: records of the declared collections, validated on the way in,
 * sealed with the vault's data keys, kept by a backend (SQLite, IndexedDB, memory) that never sees
 * a sensitive value in clear. Bulk writes seal a batch concurrently and commit it in one
 * transaction. Data older than a collection's maximum age is purged. After a data key rotation,
 * `reencrypt()` moves records to the new key in batches, then the old key can be retired.
 * Layout and guarantees: docs/store.md.
 */
import { InvalidArgumentError } from '../errors.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { Vault } from '../vault/vault.js';
import type { StoreBackend, StoredRecord, WriteOp } from './backend.js';
import { type CollectionSpec, checkCollectionSpec } from './collection.js';
import { FieldNotQueryableError, UnknownCollectionError } from './errors.js';
import {
  type CodecKeys,
  checkRecord,
  decodeRecord,
  decodeRecordSync,
  encodeRecord,
  encodeRecordSync,
  fieldOf,
  type StoreRecord,
  termFor,
} from './lib/codec.js';
import { type Sealer, webCryptoSealer } from './sealer.js';
import type { DeviceRecord, SchemaOfSpecs, StoreCollectionName, StoreQuery, UntypedSchema } from './typed.js';

/**
 * A record of the store, by collection and id.
 *
 * @example
 * ```ts
 * const ref: RecordRef = { collection: 'inspections', id: 'i-42' };
 * ```
 */
export interface RecordRef {
  readonly collection: string;
  readonly id: string;
}

/**
 * What `onRemoved` listeners are told: the records a batch deleted, and whether others may have
 * left too (then compare with what the store holds).
 *
 * @example
 * ```ts
 * const removed: RemovedRecords = { records: [{ collection: 'inspections', id: 'i-42' }], more: false };
 * ```
 */
export interface RemovedRecords {
  readonly records: readonly RecordRef[];
  readonly more: boolean;
}

/** Meta entry set while a `holdDrops` batch awaits its `releaseDrops`. */
const DROPS_HELD = 'store.drops_held';
const HELD = new Uint8Array([1]);

/**
 * Options of {@link EncryptedStore.open}.
 *
 * @example
 * ```ts
 * const options: StoreOptions = { backend, vault, collections: [sites, findings], batchSize: 500 };
 * ```
 */
export interface StoreOptions {
  readonly backend: StoreBackend;
  readonly vault: Vault;
  readonly collections: readonly CollectionSpec[];
  /** Records sealed and committed together by the bulk paths. Default 500. */
  readonly batchSize?: number;
  /** Default: core's WebCrypto; the Node entry offers `nodeSealer`, same format, faster. */
  readonly sealer?: Sealer;
  readonly clock?: Clock;
  /** Destroy the backend when the vault is wiped. Default true; internal views set false. */
  readonly destroyOnWipe?: boolean;
}

/**
 * The encrypted store.
 *
 * @example
 * ```ts
 * const store = await EncryptedStore.open({ backend: await SqliteBackend.open('data/app.db'), vault, collections });
 * await store.put('sites', { id: 's1', name: 'Depot', residentPhone: '+44 20 7946 0958' });
 * const [site] = await store.find('sites', { residentPhone: '+44 20 7946 0958' });
 * ```
 */
export class EncryptedStore<S = UntypedSchema> {
  readonly #backend: StoreBackend;
  readonly #vault: Vault;
  readonly #collections = new Map<string, CollectionSpec>();
  readonly #batchSize: number;
  readonly #sealer: Sealer;
  readonly #clock: Clock;
  #offRetire: () => void = () => undefined;
  readonly #removedListeners = new Set<(removed: RemovedRecords) => unknown>();
  /** The backend scrub running now, and the one queued behind it (see `#scrub`). */
  #scrubbing: Promise<void> | undefined;
  #scrubQueued: Promise<void> | undefined;

  private constructor(options: StoreOptions) {
    this.#backend = options.backend;
    this.#vault = options.vault;
    this.#batchSize = options.batchSize ?? 500;
    if (!Number.isSafeInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new InvalidArgumentError('batchSize must be a positive integer');
    }
    this.#sealer = options.sealer ?? webCryptoSealer;
    this.#clock = options.clock ?? systemClock;
    for (const spec of options.collections) {
      checkCollectionSpec(spec);
      if (this.#collections.has(spec.name))
        throw new InvalidArgumentError(`collection "${spec.name}" declared twice`);
      this.#collections.set(spec.name, spec);
    }
  }

  /**
   * Opens the store over a backend; wiping the vault destroys the backend's data.
   *
   * @example
   * ```ts
   * const store = await EncryptedStore.open({ backend, vault, collections });
   * ```
   */
  static async open<const L extends readonly CollectionSpec[]>(
    options: StoreOptions & { readonly collections: L },
  ): Promise<EncryptedStore<SchemaOfSpecs<L>>> {
    const store = new EncryptedStore<SchemaOfSpecs<L>>(options);
    if (options.destroyOnWipe !== false) options.vault.onWipe(() => options.backend.destroy());
    // Views over a shared backend (the sync outbox) register too: each moves its own collections.
    store.#offRetire = options.vault.onRetireDataKey(async () => {
      if (!closedBackends.has(options.backend)) await store.reencrypt();
    });
    return store;
  }

  /** The backend, for the sync engine's atomic local-write-plus-outbox batches. */
  get backend(): StoreBackend {
    return this.#backend;
  }

  /**
   * Calls `listener` after records of the declared collections were dropped from the device: by
   * `delete`, `purgeExpired`, or a batch given to `commit` (the sync engine's removals, resets
   * and local deletes). `removed.records` are the records the batch deleted (a record deleted and
   * stored again in the same batch is not among them); `removed.more` says that other records
   * may have left too (the end of a sync pass that began with a reset): compare with what the
   * store holds. `EncryptedFiles` opened with this store deletes the files attached to them
   * here. Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * store.onRemoved(({ records }) => console.info(`${records.length} records left this device`));
   * ```
   */
  onRemoved(listener: (removed: RemovedRecords) => unknown): () => void {
    this.#removedListeners.add(listener);
    return () => this.#removedListeners.delete(listener);
  }

  /**
   * Writes one atomic batch to the backend and, when it deletes records of the declared
   * collections, does what a drop owes the device: the backend scrubs its files of the deleted
   * rows, and the `onRemoved` listeners run (attached files go). The sync engine writes through
   * it. `holdDrops` is for a batch that deletes records some of which a later batch stores again
   * (the first page of a reset pass, a push's drops that the next pull may undo): the listeners
   * are not told, and the store notes, in the
   * same batch, that drops are held (`dropsHeld()`); a later batch with `releaseDrops` clears
   * the note and tells the listeners to compare with what is held (`more: true`).
   *
   * @example
   * ```ts
   * await store.commit([{ kind: 'delete', collection: 'sites', id: 's1' }, outboxOp]);
   * ```
   */
  async commit(
    ops: readonly WriteOp[],
    options: { readonly holdDrops?: boolean; readonly releaseDrops?: boolean } = {},
  ): Promise<void> {
    const hold = options.holdDrops === true && options.releaseDrops !== true;
    const release = options.releaseDrops === true;
    const note: WriteOp[] =
      hold || release ? [{ kind: 'meta', key: DROPS_HELD, value: hold ? HELD : null }] : [];
    await this.#backend.write(note.length === 0 ? ops : [...ops, ...note]);
    await this.#dropped(ops, { announce: !hold, more: release || options.holdDrops === true });
  }

  /**
   * True while a batch committed with `holdDrops` awaits its `releaseDrops`: some records are
   * absent only until a later batch stores them again (a sync pass that began with a reset, or
   * followed a push that dropped records, and has not ended, even across a restart). `EncryptedFiles` keeps their attached files meanwhile.
   *
   * @example
   * ```ts
   * if (!(await store.dropsHeld())) await files.deleteOrphanAttachments();
   * ```
   */
  async dropsHeld(): Promise<boolean> {
    return (await this.#backend.getMeta(DROPS_HELD)) !== undefined;
  }

  /**
   * Runs the backend's scrub for a drop whose batch is written. The drop's rows must be out of the
   * files when its promise resolves, so a rebuild that began before its write does not count; one
   * queued behind the running rebuild does, and every drop committed while it waits shares it:
   * concurrent drops (a burst of `delete` calls not awaited one by one) cost at most two
   * rebuilds, not one each.
   */
  #scrub(): Promise<void> {
    const backend = this.#backend;
    if (backend.scrub === undefined) return Promise.resolve();
    if (this.#scrubQueued !== undefined) return this.#scrubQueued;
    const start = (): Promise<void> => {
      const run = (async () => backend.scrub?.())().finally(() => {
        if (this.#scrubbing === run) this.#scrubbing = undefined;
      });
      this.#scrubbing = run;
      return run;
    };
    if (this.#scrubbing === undefined) return start();
    const queued = this.#scrubbing
      .catch(() => undefined)
      .then(() => {
        this.#scrubQueued = undefined;
        return start();
      });
    this.#scrubQueued = queued;
    return queued;
  }

  /**
   * Scrubs the backend when `ops` deleted records of this store and, when `announce`, tells the
   * listeners which (the last op of a record in the batch decides whether it is gone).
   */
  async #dropped(
    ops: readonly WriteOp[],
    options: { readonly announce: boolean; readonly more: boolean } = { announce: true, more: false },
  ): Promise<void> {
    const last = new Map<string, RecordRef | undefined>();
    for (const op of ops) {
      if (op.kind === 'delete' && this.#collections.has(op.collection)) {
        last.set(`${op.collection}\u0000${op.id}`, { collection: op.collection, id: op.id });
      } else if (op.kind === 'put') {
        last.set(`${op.record.collection}\u0000${op.record.id}`, undefined);
      }
    }
    const records = [...last.values()].filter((r): r is RecordRef => r !== undefined);
    const deleted = ops.some((op) => op.kind === 'delete' && this.#collections.has(op.collection));
    if (!deleted && !(options.announce && options.more)) return;
    const failures: unknown[] = [];
    if (deleted) await this.#scrub().catch((err: unknown) => failures.push(err));
    if (options.announce && (records.length > 0 || options.more)) {
      for (const listener of this.#removedListeners) {
        try {
          await listener({ records, more: options.more });
        } catch (err) {
          failures.push(err);
        }
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  /**
   * Validates, seals and stores one record (replacing one with the same id).
   *
   * @example
   * ```ts
   * await store.put('sites', { id: 's1', name: 'Depot', residentPhone: '+44 20 7946 0958' });
   * ```
   */
  async put<C extends StoreCollectionName<S>>(collection: C, record: DeviceRecord<S, C>): Promise<void> {
    await this.putMany(collection, [record]);
  }

  /**
   * Validates every record first (nothing is stored if one is refused), then seals and commits
   * them in batches, one transaction per batch.
   *
   * @example
   * ```ts
   * await store.putMany('sites', records);
   * ```
   */
  async putMany<C extends StoreCollectionName<S>>(
    collection: C,
    records: readonly DeviceRecord<S, C>[],
  ): Promise<void> {
    const ops = await this.encodePuts(collection, records);
    for (let i = 0; i < ops.length; i += this.#batchSize) {
      await this.#backend.write(ops.slice(i, i + this.#batchSize));
    }
  }

  /**
   * The write ops for `records`, for callers that add their own ops to the same transaction
   * (the sync engine's outbox). Validates all before sealing any.
   *
   * @example
   * ```ts
   * const ops = await store.encodePuts('sites', [record]);
   * await store.backend.write([...ops, outboxOp]);
   * ```
   */
  async encodePuts<C extends StoreCollectionName<S>>(
    collection: C,
    typed: readonly DeviceRecord<S, C>[],
  ): Promise<WriteOp[]> {
    const spec = this.#spec(collection);
    // The types only narrow what callers may pass; every record is still checked at run time.
    const records = typed as readonly StoreRecord[];
    const ids = records.map((record) => checkRecord(spec, record));
    const keys = this.#keys();
    const storedAt = this.#clock.now();
    const ops: WriteOp[] = [];
    for (let i = 0; i < records.length; i += this.#batchSize) {
      const batch = records.slice(i, i + this.#batchSize);
      if (this.#sealer.sync !== undefined) {
        // Synchronous crypto: no promise per record, the whole batch in one loop.
        const fast = batch.map((record, j) =>
          encodeRecordSync(this.#sealer, spec, ids[i + j] as string, record, keys, storedAt),
        );
        if (fast.every((r) => r !== undefined)) {
          for (const record of fast) ops.push({ kind: 'put', record: record as StoredRecord });
          continue;
        }
      }
      const encoded = await mapConcurrently(batch, (record, j) =>
        encodeRecord(this.#sealer, spec, ids[i + j] as string, record, keys, storedAt),
      );
      for (const record of encoded) ops.push({ kind: 'put', record });
    }
    return ops;
  }

  /**
   * One record by id, or `undefined` (also when older than the collection's maximum age).
   *
   * @example
   * ```ts
   * const site = await store.get('sites', 's1');
   * ```
   */
  async get<C extends StoreCollectionName<S>>(
    collection: C,
    id: string,
  ): Promise<DeviceRecord<S, C> | undefined> {
    const spec = this.#spec(collection);
    const keys = this.#keys();
    const stored = await this.#backend.get(collection, id);
    if (stored === undefined || this.#isExpired(spec, stored)) return undefined;
    return (await decodeRecord(this.#sealer, spec, stored, keys)) as DeviceRecord<S, C>;
  }

  /**
   * Every live record of a collection, in id order, read and decrypted page by page.
   *
   * @example
   * ```ts
   * for await (const site of store.iterate('sites')) render(site);
   * ```
   */
  async *iterate<C extends StoreCollectionName<S>>(collection: C): AsyncGenerator<DeviceRecord<S, C>> {
    const spec = this.#spec(collection);
    let after: string | undefined;
    for (;;) {
      const keys = this.#keys();
      const page = await this.#backend.list(
        collection,
        after === undefined ? { limit: this.#batchSize } : { after, limit: this.#batchSize },
      );
      if (page.length === 0) return;
      const live = page.filter((r) => !this.#isExpired(spec, r));
      const decoded = await this.#decodeAll(spec, live, keys);
      yield* decoded as DeviceRecord<S, C>[];
      after = (page.at(-1) as StoredRecord).id;
    }
  }

  /**
   * Every live record of a collection.
   *
   * @example
   * ```ts
   * const sites = await store.all('sites');
   * ```
   */
  async all<C extends StoreCollectionName<S>>(collection: C): Promise<DeviceRecord<S, C>[]> {
    const out: DeviceRecord<S, C>[] = [];
    for await (const record of this.iterate(collection)) out.push(record);
    return out;
  }

  /**
   * Records whose fields equal the given values. A sensitive field needs a blind index (it is
   * looked up by its HMAC, under every data key still in use); plain fields are compared after
   * reading. Results are always checked against the decrypted values.
   *
   * @example
   * ```ts
   * const matches = await store.find('sites', { residentPhone: '+44 20 7946 0958', status: 'open' });
   * ```
   */
  async find<C extends StoreCollectionName<S>>(
    collection: C,
    where: StoreQuery<S, C>,
  ): Promise<DeviceRecord<S, C>[]> {
    const spec = this.#spec(collection);
    const keys = this.#keys();
    const entries = Object.entries(where as Readonly<Record<string, unknown>>);
    const indexed = entries.find(([name]) => {
      const field = fieldOf(spec, name);
      return field?.class === 'sensitive' && field.blindIndex !== undefined && field.blindIndex !== false;
    });
    for (const [name] of entries) {
      const field = fieldOf(spec, name);
      if (field === undefined || field.class === 'serverOnly') {
        throw new InvalidArgumentError(`${collection}.${name} is not a stored field`);
      }
      if (field.class === 'sensitive' && (field.blindIndex === undefined || field.blindIndex === false)) {
        throw new FieldNotQueryableError(collection, name);
      }
    }
    let candidates: StoredRecord[];
    if (indexed !== undefined) {
      const seen = new Map<string, StoredRecord>();
      for (const blindKey of keys.blindIndexKeys.values()) {
        const term = await termFor(this.#sealer, spec, indexed[0], blindKey, indexed[1]);
        if (term === undefined) return [];
        for (const record of await this.#backend.findByTerm(collection, term)) seen.set(record.id, record);
      }
      candidates = [...seen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    } else {
      candidates = [];
      let after: string | undefined;
      for (;;) {
        const page = await this.#backend.list(
          collection,
          after === undefined ? { limit: this.#batchSize } : { after, limit: this.#batchSize },
        );
        if (page.length === 0) break;
        candidates.push(...page);
        after = (page.at(-1) as StoredRecord).id;
      }
    }
    const live = candidates.filter((r) => !this.#isExpired(spec, r));
    const decoded = await this.#decodeAll(spec, live, keys);
    return decoded.filter((record) =>
      entries.every(([name, value]) => matches(spec, name, record[name], value)),
    ) as DeviceRecord<S, C>[];
  }

  /**
   * Deletes records by id.
   *
   * @example
   * ```ts
   * await store.delete('sites', 's1');
   * ```
   */
  async delete(collection: StoreCollectionName<S>, ...ids: string[]): Promise<void> {
    this.#spec(collection);
    this.#keys();
    const ops: WriteOp[] = ids.map((id) => ({ kind: 'delete', collection, id }));
    for (let i = 0; i < ops.length; i += this.#batchSize) {
      await this.#backend.write(ops.slice(i, i + this.#batchSize));
    }
    await this.#dropped(ops);
  }

  /**
   * Deletes every record older than its collection's maximum age; returns how many.
   *
   * @example
   * ```ts
   * setInterval(() => void store.purgeExpired(), 3600_000);
   * ```
   */
  async purgeExpired(): Promise<number> {
    let purged = 0;
    const dropped: WriteOp[] = [];
    const now = this.#clock.now();
    for (const spec of this.#collections.values()) {
      if (spec.maxAgeMs === undefined) continue;
      for (;;) {
        const ids = await this.#backend.expired(spec.name, now - spec.maxAgeMs, this.#batchSize);
        if (ids.length === 0) break;
        const ops: WriteOp[] = ids.map((id) => ({ kind: 'delete', collection: spec.name, id }));
        await this.#backend.write(ops);
        dropped.push(...ops);
        purged += ids.length;
      }
    }
    await this.#dropped(dropped);
    return purged;
  }

  /**
   * Re-seals records of the declared collections still under an older data key with the primary
   * one (and recomputes their blind indexes), a batch per transaction. Rows of collections this
   * store does not declare (another view over the same backend, such as the sync outbox) are left
   * alone: each view re-encrypts its own. Safe to interrupt and run again; `retireDataKey` runs it
   * too. Returns how many records moved.
   *
   * @example
   * ```ts
   * const [, old] = vault.dataKeyIds;
   * await vault.rotateDataKey(); await store.reencrypt(); await vault.retireDataKey(old);
   * ```
   */
  async reencrypt(): Promise<number> {
    let moved = 0;
    for (const spec of this.#collections.values()) {
      if (spec.offline === false) continue;
      // One pass over the collection in id order, a page at a time: linear in its size, and no
      // index on the key id is needed (it would cost every encrypted write an index entry).
      let after: string | undefined;
      for (;;) {
        const keys = this.#keys();
        const page = await this.#backend.list(
          spec.name,
          after === undefined ? { limit: this.#batchSize } : { after, limit: this.#batchSize },
        );
        if (page.length === 0) break;
        after = (page.at(-1) as StoredRecord).id;
        const stale = page.filter((stored) => stored.keyId !== null && stored.keyId !== keys.primaryKeyId);
        if (stale.length === 0) continue;
        const ops = await mapConcurrently(stale, async (stored): Promise<WriteOp> => {
          const { id, ...fields } = await decodeRecord(this.#sealer, spec, stored, keys);
          return {
            kind: 'put',
            record: await encodeRecord(this.#sealer, spec, id, fields, keys, stored.storedAt),
          };
        });
        await this.#backend.write(ops);
        moved += ops.length;
      }
    }
    return moved;
  }

  /**
   * Closes the backend.
   *
   * @example
   * ```ts
   * await store.close();
   * ```
   */
  async close(): Promise<void> {
    this.#offRetire();
    closedBackends.add(this.#backend);
    await this.#backend.close();
  }

  /**
   * The declaration of a collection (refuses undeclared and `offline: false` ones).
   *
   * @example
   * ```ts
   * const spec = store.collection('sites');
   * ```
   */
  collection(collection: StoreCollectionName<S>): CollectionSpec {
    return this.#spec(collection);
  }

  /**
   * Names of the collections this store keeps on the device (declared and not `offline: false`).
   *
   * @example
   * ```ts
   * for (const name of store.collectionNames()) console.log(name);
   * ```
   */
  collectionNames(): StoreCollectionName<S>[] {
    return [...this.#collections.values()]
      .filter((spec) => spec.offline !== false)
      .map((spec) => spec.name as StoreCollectionName<S>);
  }

  /**
   * Ids of every record of a collection (expired ones included), in id order, without decrypting.
   *
   * @example
   * ```ts
   * const ids = await store.ids('sites');
   * ```
   */
  async ids(collection: StoreCollectionName<S>): Promise<string[]> {
    this.#spec(collection);
    const out: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.#backend.list(
        collection,
        after === undefined ? { limit: this.#batchSize } : { after, limit: this.#batchSize },
      );
      if (page.length === 0) return out;
      for (const row of page) out.push(row.id);
      after = (page.at(-1) as StoredRecord).id;
    }
  }

  /**
   * Whether a record with this id is stored (an expired one too, as in `ids`), without
   * decrypting it.
   *
   * @example
   * ```ts
   * if (!(await store.has('sites', 's1'))) await store.put('sites', { id: 's1', name: 'Depot' });
   * ```
   */
  async has(collection: StoreCollectionName<S>, id: string): Promise<boolean> {
    this.#spec(collection);
    return (await this.#backend.get(collection, id)) !== undefined;
  }

  #spec(collection: string): CollectionSpec {
    const spec = this.#collections.get(collection);
    if (spec === undefined) throw new UnknownCollectionError(collection);
    if (spec.offline === false) throw new UnknownCollectionError(collection, 'is offline: false');
    return spec;
  }

  // Store calls are not user activity: sync and other background work use the store too, and a
  // periodic sync would otherwise keep the vault unlocked for ever. The app reports activity
  // with `vault.touch()` (the browser preset of createClient does on pointer and key input).
  #keys(): CodecKeys {
    return this.#vault.keys();
  }

  /** Decodes a page: in one synchronous loop when the sealer allows, else concurrently. */
  async #decodeAll(
    spec: CollectionSpec,
    rows: readonly StoredRecord[],
    keys: CodecKeys,
  ): Promise<StoreRecord[]> {
    if (this.#sealer.sync !== undefined) {
      const out: StoreRecord[] = [];
      for (const row of rows) {
        out.push(
          decodeRecordSync(this.#sealer, spec, row, keys) ??
            (await decodeRecord(this.#sealer, spec, row, keys)),
        );
      }
      return out;
    }
    return mapConcurrently(rows, (r) => decodeRecord(this.#sealer, spec, r, keys));
  }

  #isExpired(spec: CollectionSpec, stored: StoredRecord): boolean {
    return spec.maxAgeMs !== undefined && stored.storedAt < this.#clock.now() - spec.maxAgeMs;
  }
}

/**
 * Asynchronous crypto calls kept in flight at once. WebCrypto runs each on a worker thread:
 * a few dozen keep the threads busy, while a whole batch of promises at once costs more in
 * queueing and garbage than it gains (see docs/store.md, "Benchmark").
 */
const IN_FLIGHT = 32;

/** `Promise.all(items.map(fn))` with at most `IN_FLIGHT` calls pending; results in order. */
async function mapConcurrently<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, lane));
  return out;
}

/** Backends a store closed: views still registered over them have nothing left to re-encrypt. */
const closedBackends = new WeakSet<StoreBackend>();

function matches(spec: CollectionSpec, name: string, actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const option = fieldOf(spec, name)?.blindIndex;
    if (typeof option === 'object' && option.caseInsensitive === true) {
      const norm = (s: string) => s.normalize('NFKC').toLowerCase().normalize('NFKC');
      return norm(actual) === norm(expected);
    }
    return fieldOf(spec, name)?.class === 'sensitive'
      ? actual.normalize('NFKC') === expected.normalize('NFKC')
      : actual === expected;
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}
