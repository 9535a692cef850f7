/**
 * Low-level access to the records table (docs/storage.md): reading one row, handing out change
 * sequence numbers, and writing rows and sync notices. Callers hold a transaction; the
 * authorization and validation around these calls live in write.ts and read.ts.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { CollectionModel } from '../config/model.js';
import type { Database, RecordsTable } from '../db/schema.js';
import { attrsJson } from '../rules/attrs.js';
import { type RecordKey, recordKeys } from '../rules/keys.js';

/** A stored record, parsed. */
export interface StoredRecord {
  readonly collection: string;
  readonly id: string;
  readonly owner: string;
  readonly version: number;
  readonly seq: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly deletedAt: number | null;
  /** The full record (serverOnly fields included); on a tombstone only the fields the read rule reads. Never sent. */
  readonly data: Readonly<Record<string, unknown>> | undefined;
  /** The device projection as stored JSON text; the only form that is sent. */
  readonly device: string | null;
  /** Rule attributes (parsed). */
  readonly attrs: Readonly<Record<string, unknown>>;
}

type Db = Kysely<Database> | Transaction<Database>;

function parseJson(value: unknown): Record<string, unknown> {
  // PostgreSQL returns jsonb already parsed; SQLite returns text.
  if (typeof value === 'string') return JSON.parse(value) as Record<string, unknown>;
  return (value ?? {}) as Record<string, unknown>;
}

/** Turns a row into a {@link StoredRecord}. */
export function toStored(row: RecordsTable): StoredRecord {
  return {
    collection: row.collection,
    id: row.id,
    owner: row.owner,
    version: Number(row.version),
    seq: Number(row.seq),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
    data: row.data === null ? undefined : (JSON.parse(row.data) as Record<string, unknown>),
    device: row.device,
    attrs: parseJson(row.attrs),
  };
}

/**
 * Reads one record (live or tombstone). With `lock`, PostgreSQL locks the row until the
 * transaction ends, so a read-check-write cannot interleave with another writer.
 *
 * @example
 * ```ts
 * const row = await readRecord(trx, 'postgres', 'inspections', id, true);
 * ```
 */
export async function readRecord(
  db: Db,
  dialect: 'sqlite' | 'postgres',
  collection: string,
  id: string,
  lock = false,
): Promise<StoredRecord | undefined> {
  let query = db.selectFrom('records').selectAll().where('collection', '=', collection).where('id', '=', id);
  if (lock && dialect === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : toStored(row);
}

/**
 * Hands out `count` change sequence numbers and returns the first. Updating the single counter
 * row locks it until the transaction commits, so writers commit in sequence order and a reader
 * never sees sequence N+1 before N (docs/sync.md, "Why a counter row").
 *
 * @example
 * ```ts
 * const seq = await nextSeq(trx, 1);
 * ```
 */
export async function nextSeq(trx: Transaction<Database>, count: number): Promise<number> {
  const row = await trx
    .updateTable('sync_counter')
    .set({ seq: sql`seq + ${count}` })
    .where('id', '=', 1)
    .returning('seq')
    .executeTakeFirstOrThrow();
  return Number(row.seq) - count + 1;
}

/**
 * Locks the change counter until the transaction ends and returns the last number handed out: a
 * batch of writes (sync push) then hands out the following numbers itself and stores the last one
 * with {@link setSeq} before it commits.
 *
 * @example
 * ```ts
 * let seq = await lockCounter(trx);
 * ```
 */
export async function lockCounter(trx: Transaction<Database>): Promise<number> {
  // An update that changes nothing takes the row lock on both databases (SQLite: the write lock).
  const row = await trx
    .updateTable('sync_counter')
    .set({ seq: sql`seq` })
    .where('id', '=', 1)
    .returning('seq')
    .executeTakeFirstOrThrow();
  return Number(row.seq);
}

/**
 * Stores the last sequence number a batch handed out (the counter is locked by the batch).
 *
 * @example
 * ```ts
 * await setSeq(trx, lastHandedOut);
 * ```
 */
export async function setSeq(trx: Transaction<Database>, seq: number): Promise<void> {
  await trx.updateTable('sync_counter').set({ seq }).where('id', '=', 1).execute();
}

/** The JSON texts stored for a full record. */
export interface Projections {
  readonly data: string;
  readonly device: string;
  readonly attrs: string;
}

/**
 * Records that a record had these read attributes before a change that may hide it from some
 * users (an update of a field the read rule reads, or a delete): sync sends those users a removal.
 */
export async function appendNotice(
  trx: Transaction<Database>,
  seq: number,
  model: CollectionModel,
  record: StoredRecord,
  nowMs: number,
): Promise<void> {
  await trx
    .insertInto('sync_notices')
    .values({
      seq,
      collection: model.name,
      record_id: record.id,
      owner: record.owner,
      attrs: attrsJson(record.data ?? {}, model.readFields),
      created_at: nowMs,
    })
    .execute();
}

/** A row of `record_keys`. */
export interface KeyRow {
  readonly collection: string;
  readonly field: string;
  readonly value: string;
  readonly seq: number;
}

/**
 * The `record_keys` rows of a record at `seq` (rules/keys.ts).
 *
 * @example
 * ```ts
 * await trx.insertInto('record_keys').values(keyRows(model, seq, owner, record)).execute();
 * ```
 */
export function keyRows(
  model: CollectionModel,
  seq: number,
  owner: string,
  record: Readonly<Record<string, unknown>>,
): KeyRow[] {
  return recordKeys(owner, record, model.keyFields).map((k) => ({
    collection: model.name,
    field: k.field,
    value: k.value,
    seq,
  }));
}

/**
 * Indexes a new live record at `seq`.
 *
 * @example
 * ```ts
 * await insertKeys(trx, model, seq, claims.userId, record);
 * ```
 */
export async function insertKeys(
  trx: Transaction<Database>,
  model: CollectionModel,
  seq: number,
  owner: string,
  record: Readonly<Record<string, unknown>>,
): Promise<void> {
  const rows = keyRows(model, seq, owner, record);
  if (rows.length > 0) await trx.insertInto('record_keys').values(rows).execute();
}

function sameKeys(a: readonly RecordKey[], b: readonly RecordKey[]): boolean {
  return a.length === b.length && a.every((k, i) => k.field === b[i]?.field && k.value === b[i]?.value);
}

/**
 * Moves a record's keys from its previous `seq` to its new one; `after` undefined removes them
 * (a delete: tombstones are never listed or pulled as upserts).
 *
 * @example
 * ```ts
 * await moveKeys(trx, model, stored, newSeq, updatedRecord);
 * ```
 */
export async function moveKeys(
  trx: Transaction<Database>,
  model: CollectionModel,
  previous: StoredRecord,
  seq: number,
  after: Readonly<Record<string, unknown>> | undefined,
): Promise<void> {
  if (model.keyFields.length === 0) return;
  if (after !== undefined) {
    const before = recordKeys(previous.owner, previous.data ?? {}, model.keyFields);
    const next = recordKeys(previous.owner, after, model.keyFields);
    if (sameKeys(before, next)) {
      if (next.length > 0) {
        await trx.updateTable('record_keys').set({ seq }).where('seq', '=', previous.seq).execute();
      }
      return;
    }
  }
  await trx.deleteFrom('record_keys').where('seq', '=', previous.seq).execute();
  if (after !== undefined) await insertKeys(trx, model, seq, previous.owner, after);
}
