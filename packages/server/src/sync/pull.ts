/**
 * Sync pull (docs/sync.md): pages of changes since a checkpoint, for the offline collections only.
 * A change is an upsert (the stored device projection of a record the caller may see now) or a
 * removal (the record was deleted, or changed so that the caller may no longer see it, and the
 * caller could see it before). Removals come from sync notices: the read attributes a record had
 * before a change that could hide it. The page is read in one snapshot up to a high-water mark,
 * so nothing committed later is skipped.
 */
import { type Expression, type SqlBool, sql, type Transaction } from 'kysely';
import type { CollectionModel, DataModel } from '../config/model.js';
import type { ServerContext } from '../context.js';
import type { Database } from '../db/schema.js';
import { HttpProblem } from '../http/problem.js';
import type { Predicate } from '../rules/predicate.js';
import type { Claims } from '../rules/rule.js';
import { columnsOf, type PredicateColumns, predicateSql } from '../rules/sql.js';
import type { CheckpointCodec } from './checkpoint.js';
import { syncFingerprint } from './checkpoint.js';

/** What a device asks for. */
export interface PullRequest {
  /** The checkpoint of the last page applied; null on the first pull. */
  readonly checkpoint: string | null;
  readonly limit?: number | undefined;
}

/** Who pulls. */
export interface PullScope {
  readonly ctx: ServerContext;
  readonly model: DataModel;
  readonly codec: CheckpointCodec;
  readonly claims: Claims;
  readonly deviceId: string;
}

interface Change {
  readonly seq: number;
  readonly json: string;
}

/** Rows of the change sequence examined per window; a pull examines at most MAX_WINDOWS of them. */
const MAX_WINDOWS = 20;

function visibleSql(
  bound: readonly (readonly [CollectionModel, Predicate])[],
  alias: string,
  dialect: 'sqlite' | 'postgres',
  columns: PredicateColumns,
): Expression<SqlBool> {
  const parts = bound.map(
    ([c, p]) =>
      sql<SqlBool>`(${sql.ref(`${alias}.collection`)} = ${c.name} and ${predicateSql(p, columns, dialect)})`,
  );
  return parts.length === 0 ? sql<SqlBool>`(1 = 0)` : sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
}

/**
 * The upserts of a page. The change sequence is read in windows of `limit` rows along its index
 * (an inner `order by seq limit`), and the read rule is applied to each window: the database
 * never has to guess how many rows the rule lets through, so no planner can choose to sort a
 * whole collection per page. Returns the upserts and the sequence number up to which every
 * change has been examined.
 */
async function readUpserts(
  trx: Transaction<Database>,
  bound: readonly (readonly [CollectionModel, Predicate])[],
  dialect: 'sqlite' | 'postgres',
  after: number,
  high: number,
  limit: number,
): Promise<{ upserts: Change[]; through: number }> {
  const visible = visibleSql(bound, 'w', dialect, columnsOf('w'));
  const upserts: Change[] = [];
  let from = after;
  for (let window = 0; window < MAX_WINDOWS; window++) {
    const rows = await trx
      .selectFrom((db) =>
        db
          .selectFrom('records')
          .select(['collection', 'id', 'version', 'seq', 'device', 'owner', 'attrs', 'deleted_at'])
          .where('seq', '>', from)
          .where('seq', '<=', high)
          .orderBy('seq', 'asc')
          .limit(limit)
          .as('w'),
      )
      .select([
        'w.collection',
        'w.id',
        'w.version',
        'w.seq',
        sql<string | null>`case when w.deleted_at is null and ${visible} then w.device end`.as('shown'),
      ])
      .orderBy('w.seq', 'asc')
      .execute();
    for (const row of rows) {
      if (row.shown === null) continue;
      upserts.push({
        seq: Number(row.seq),
        json: `{"collection":${JSON.stringify(row.collection)},"id":${JSON.stringify(row.id)},"version":${Number(row.version)},"record":${row.shown}}`,
      });
    }
    if (rows.length < limit) return { upserts, through: high };
    from = Number((rows.at(-1) as { seq: number }).seq);
    if (upserts.length >= limit) break;
  }
  if (upserts.length > limit) {
    upserts.length = limit;
    return { upserts, through: (upserts.at(-1) as Change).seq };
  }
  return { upserts, through: from };
}

/**
 * The removals of a page: notices after `after` (up to `through`) of records the caller could see
 * before the change and cannot see now. Returns them and how far they are complete.
 */
async function readRemovals(
  trx: Transaction<Database>,
  bound: readonly (readonly [CollectionModel, Predicate])[],
  dialect: 'sqlite' | 'postgres',
  after: number,
  through: number,
  limit: number,
): Promise<{ removals: Change[]; through: number }> {
  const n = columnsOf('n');
  const r = columnsOf('r');
  const parts = bound.map(
    ([c, p]) =>
      sql<SqlBool>`(n.collection = ${c.name} and ${predicateSql(p, n, dialect)} and (r.deleted_at is not null or not ${predicateSql(p, r, dialect)}))`,
  );
  const rows = await trx
    .selectFrom('sync_notices as n')
    // A cross join makes SQLite read the (few) notices first and look each record up by key;
    // PostgreSQL plans it as the inner join it is.
    .crossJoin('records as r')
    .whereRef('r.collection', '=', 'n.collection')
    .whereRef('r.id', '=', 'n.record_id')
    .select(['n.seq', 'n.collection', 'n.record_id'])
    .where('n.seq', '>', after)
    .where('n.seq', '<=', through)
    .where(sql<SqlBool>`(${sql.join(parts, sql` or `)})`)
    .orderBy('n.seq', 'asc')
    .limit(limit)
    .execute();
  const removals: Change[] = [];
  const seen = new Set<string>();
  for (const x of rows) {
    // Several notices of one record say the same thing: send one removal.
    const key = `${x.collection}/${x.record_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    removals.push({
      seq: Number(x.seq),
      json: `{"collection":${JSON.stringify(x.collection)},"id":${JSON.stringify(x.record_id)},"removed":true}`,
    });
  }
  return {
    removals,
    through: rows.length < limit ? through : Number((rows.at(-1) as { seq: number }).seq),
  };
}

async function readPage(
  trx: Transaction<Database>,
  scope: PullScope,
  after: number,
  limit: number,
): Promise<{ changes: Change[]; checkpointSeq: number; hasMore: boolean }> {
  const { ctx, model, claims } = scope;
  const head = await trx
    .selectFrom('sync_counter')
    .select('seq')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  const high = Number(head.seq);
  const bound = model.offline
    .map((c) => [c, c.read(claims)] as const)
    .filter(([, p]) => !(p.k === 'const' && !p.value));
  if (bound.length === 0 || after >= high) {
    return { changes: [], checkpointSeq: Math.max(after, high), hasMore: false };
  }
  const { upserts, through: upsertsThrough } = await readUpserts(trx, bound, ctx.dialect, after, high, limit);
  // A first pull (or a reset) has nothing to remove.
  const { removals, through } =
    after > 0
      ? await readRemovals(trx, bound, ctx.dialect, after, upsertsThrough, limit)
      : { removals: [], through: upsertsThrough };
  let checkpointSeq = through;
  let changes = [...upserts, ...removals].filter((c) => c.seq <= through).sort((a, b) => a.seq - b.seq);
  if (changes.length > limit) {
    changes = changes.slice(0, limit);
    checkpointSeq = (changes.at(-1) as Change).seq;
  }
  return { changes, checkpointSeq, hasMore: checkpointSeq < high };
}

/**
 * Answers one pull with the response JSON text (`{ changes, checkpoint, hasMore, reset? }`).
 * Throws 400 `invalid_checkpoint` for a checkpoint this device was not given.
 *
 * @example
 * ```ts
 * reply.type('application/json').send(await pull(scope, { checkpoint: null, limit: 500 }));
 * ```
 */
export async function pull(scope: PullScope, request: PullRequest): Promise<string> {
  const { ctx, model, codec, claims, deviceId } = scope;
  const fingerprint = syncFingerprint(model.syncFingerprint, claims);
  let after = 0;
  let reset = false;
  if (request.checkpoint !== null) {
    const cp = codec.decode(deviceId, request.checkpoint);
    if (cp === undefined) {
      throw new HttpProblem(400, 'invalid_checkpoint', 'This checkpoint was not issued to this device.');
    }
    // Rules, projections or the caller's claims changed: what the device holds may no longer be
    // what it may hold, so it starts over.
    if (cp.fingerprint === fingerprint) after = cp.seq;
    else reset = true;
  }
  const limit = Math.min(request.limit ?? model.sync.defaultPageSize, model.sync.maxPageSize);
  const tx =
    ctx.dialect === 'postgres'
      ? ctx.db.transaction().setIsolationLevel('repeatable read')
      : ctx.db.transaction();
  const page = await tx.execute((trx) => readPage(trx, scope, after, limit));
  const checkpoint = codec.encode(deviceId, { seq: page.checkpointSeq, fingerprint });
  let body = '{"changes":[';
  for (let i = 0; i < page.changes.length; i++) {
    if (i > 0) body += ',';
    body += (page.changes[i] as Change).json;
  }
  body += `],"checkpoint":${JSON.stringify(checkpoint)},"hasMore":${page.hasMore}`;
  if (reset) body += ',"reset":true';
  return `${body}}`;
}
