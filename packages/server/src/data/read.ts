/**
 * The read path: one record by id, and filtered, paginated lists. The read rule is applied in SQL
 * for lists and in-process for a single record; what is sent is always the stored device
 * projection (`device` column), so a serverOnly value never enters a response.
 */
import { sql } from 'kysely';
import type { CollectionModel } from '../config/model.js';
import type { ServerContext } from '../context.js';
import { coverOf } from '../rules/keys.js';
import type { Predicate } from '../rules/predicate.js';
import type { Claims } from '../rules/rule.js';
import { columnsOf, predicateSql } from '../rules/sql.js';
import { readRecord, type StoredRecord } from './store.js';
import { canRead } from './write.js';

/**
 * A record as the data API sends it: system fields beside the device projection.
 *
 * @example
 * ```ts
 * reply.type('application/json').send(recordJson(stored));
 * ```
 */
export function recordJson(
  record: Pick<StoredRecord, 'id' | 'version' | 'owner' | 'createdAt' | 'updatedAt' | 'device'>,
): string {
  return (
    `{"id":${JSON.stringify(record.id)},"version":${record.version},"owner":${JSON.stringify(record.owner)},` +
    `"createdAt":"${new Date(record.createdAt).toISOString()}","updatedAt":"${new Date(record.updatedAt).toISOString()}",` +
    `"record":${record.device ?? '{}'}}`
  );
}

/**
 * One live record the caller may see, or undefined (absent, deleted or hidden by the read rule:
 * the caller cannot tell which).
 *
 * @example
 * ```ts
 * const record = await getVisible(ctx, model, claims, id);
 * ```
 */
export async function getVisible(
  ctx: ServerContext,
  model: CollectionModel,
  claims: Claims,
  id: string,
): Promise<StoredRecord | undefined> {
  const record = await readRecord(ctx.db, ctx.dialect, model.name, id);
  if (record === undefined || record.deletedAt !== null || !canRead(model, claims, record)) return undefined;
  return record;
}

/** A listed record: what {@link recordJson} sends. */
export type ListedRecord = Pick<
  StoredRecord,
  'id' | 'version' | 'owner' | 'createdAt' | 'updatedAt' | 'device'
>;

/** Where a list page starts: after this creation time and id. */
export interface ListCursor {
  readonly createdAt: number;
  readonly id: string;
}

/**
 * A page of the records the caller may see, oldest first, with an optional client filter (a rule
 * without claims and without serverOnly fields, already bound).
 *
 * @example
 * ```ts
 * const page = await listVisible(ctx, model, claims, { limit: 50 });
 * ```
 */
export async function listVisible(
  ctx: ServerContext,
  model: CollectionModel,
  claims: Claims,
  options: { limit: number; after?: ListCursor | undefined; filter?: Predicate | undefined },
): Promise<{ records: ListedRecord[]; next: ListCursor | undefined }> {
  const columns = columnsOf('records');
  const read = model.read(claims);
  if (read.k === 'const' && !read.value) return { records: [], next: undefined };
  let query = ctx.db
    .selectFrom('records')
    .select(['id', 'version', 'owner', 'created_at', 'updated_at', 'device'])
    .where('collection', '=', model.name)
    .where('deleted_at', 'is', null)
    .where(predicateSql(read, columns, ctx.dialect));
  if (options.filter !== undefined) query = query.where(predicateSql(options.filter, columns, ctx.dialect));
  // Served by the record keys: only the records holding a key of the rule (and filter) are read.
  const cover = coverOf(
    options.filter === undefined ? read : { k: 'and', of: [read, options.filter] },
    new Set(model.keyFields),
  );
  if (cover !== undefined) {
    if (cover.length === 0) return { records: [], next: undefined };
    const byField = new Map<string, string[]>();
    for (const k of cover) byField.set(k.field, [...(byField.get(k.field) ?? []), k.value]);
    const name = model.name;
    query = query.where('seq', 'in', (eb) =>
      eb
        .selectFrom('record_keys')
        .select('record_keys.seq')
        .where('record_keys.collection', '=', name)
        .where((k) =>
          k.or(
            [...byField].map(([field, values]) =>
              k.and([k('record_keys.field', '=', field), k('record_keys.value', 'in', values)]),
            ),
          ),
        ),
    );
  }
  const after = options.after;
  if (after !== undefined) {
    query = query.where(
      (eb) =>
        sql<boolean>`(${eb.ref('created_at')} > ${after.createdAt} or (${eb.ref('created_at')} = ${after.createdAt} and ${eb.ref('id')} > ${after.id}))`,
    );
  }
  const rows = await query
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .limit(options.limit + 1)
    .execute();
  const records = rows.slice(0, options.limit).map((r) => ({
    id: r.id,
    version: Number(r.version),
    owner: r.owner,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    device: r.device,
  }));
  const last = records.at(-1);
  const next =
    rows.length > options.limit && last !== undefined
      ? { createdAt: last.createdAt, id: last.id }
      : undefined;
  return { records, next };
}
