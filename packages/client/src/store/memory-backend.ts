/**
 * In-memory store backend: the reference implementation of the interface, for tests and for
 * sessions that must leave nothing on disk. A batch is applied only after every op is checked.
 */
import type { StoreBackend, StoredRecord, WriteOp } from './backend.js';
import { SortedIds } from './lib/sorted-ids.js';

/**
 * A store backend in memory.
 *
 * @example
 * ```ts
 * const store = await EncryptedStore.open({ backend: new MemoryBackend(), vault, collections });
 * ```
 */
export class MemoryBackend implements StoreBackend {
  readonly kind = 'memory';
  readonly #records = new Map<string, Map<string, StoredRecord>>();
  readonly #order = new Map<string, SortedIds>();
  readonly #meta = new Map<string, Uint8Array>();

  async get(collection: string, id: string): Promise<StoredRecord | undefined> {
    return this.#records.get(collection)?.get(id);
  }

  async list(collection: string, options: { after?: string; limit?: number } = {}): Promise<StoredRecord[]> {
    const records = this.#records.get(collection);
    const order = this.#order.get(collection);
    if (records === undefined || order === undefined) return [];
    return order
      .page(options.after, options.limit ?? Number.MAX_SAFE_INTEGER)
      .map((id) => records.get(id) as StoredRecord);
  }

  async findByTerm(collection: string, term: string): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    for (const record of this.#records.get(collection)?.values() ?? [])
      if (record.terms.includes(term)) out.push(record);
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async expired(collection: string, before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const record of this.#records.get(collection)?.values() ?? []) {
      if (record.storedAt < before) out.push(record.id);
      if (out.length >= limit) break;
    }
    return out;
  }

  async staleKeys(keyId: string, limit: number, collection?: string): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    const scope =
      collection === undefined ? this.#records.values() : [this.#records.get(collection) ?? new Map()];
    for (const records of scope) {
      for (const record of records.values()) {
        if (record.keyId !== null && record.keyId !== keyId) out.push(record);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    // Check the whole batch first: it is applied completely or not at all.
    for (const op of ops) {
      const ok =
        op.kind === 'put'
          ? typeof op.record.collection === 'string' && typeof op.record.id === 'string'
          : op.kind === 'delete'
            ? typeof op.collection === 'string' && typeof op.id === 'string'
            : typeof op.key === 'string';
      if (!ok) throw new TypeError('malformed write op');
    }
    for (const op of ops) {
      if (op.kind === 'put') {
        let records = this.#records.get(op.record.collection);
        let order = this.#order.get(op.record.collection);
        if (records === undefined || order === undefined) {
          records = new Map();
          order = new SortedIds();
          this.#records.set(op.record.collection, records);
          this.#order.set(op.record.collection, order);
        }
        records.set(op.record.id, copy(op.record));
        order.add(op.record.id);
      } else if (op.kind === 'delete') {
        this.#records.get(op.collection)?.delete(op.id);
        this.#order.get(op.collection)?.delete(op.id);
      } else if (op.value === null) {
        this.#meta.delete(op.key);
      } else {
        this.#meta.set(op.key, new Uint8Array(op.value));
      }
    }
  }

  async getMeta(key: string): Promise<Uint8Array | undefined> {
    const value = this.#meta.get(key);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  async destroy(): Promise<void> {
    this.#records.clear();
    this.#order.clear();
    this.#meta.clear();
  }

  async close(): Promise<void> {}
}

function copy(record: StoredRecord): StoredRecord {
  return {
    ...record,
    sealed: record.sealed === null ? null : new Uint8Array(record.sealed),
    terms: [...record.terms],
  };
}
