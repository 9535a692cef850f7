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
import { coverOf, encodeConstants } from '../rules/keys.js';
import { evaluatePredicate, type Predicate } from '../rules/predicate.js';
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
  bound: Bound,
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

type Bound = readonly (readonly [CollectionModel, Predicate])[];

/** One row of a window of the change sequence: `shown` is the device projection when visible. */
interface WindowRow {
  readonly seq: number;
  readonly collection: string | null;
  readonly id: string | null;
  readonly version: number | null;
  readonly shown: string | null;
  readonly owner?: string | null;
  readonly attrs?: unknown;
}

/** Most keys a pull looks up one by one; beyond that it scans the sequence. */
const MAX_COVER_KEYS = 64;

/** The keys the records the caller may see hold, per collection; undefined when some are not served. */
function pullCover(bound: Bound): { collection: string; field: string; value: string }[] | undefined {
  const keys: { collection: string; field: string; value: string }[] = [];
  for (const [c, p] of bound) {
    const cover = coverOf(p, new Set(c.keyFields));
    if (cover === undefined) return undefined;
    for (const k of cover) keys.push({ collection: c.name, ...k });
  }
  return keys.length > MAX_COVER_KEYS ? undefined : keys;
}

/**
 * A window of the change sequence read along its index: the next `limit` changes, whatever the
 * rule lets through (an inner `order by seq limit`), so no planner can choose to sort a whole
 * collection per page.
 */
function scanWindow(
  trx: Transaction<Database>,
  visible: Expression<SqlBool>,
  from: number,
  high: number,
  limit: number,
): Promise<WindowRow[]> {
  return trx
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
}

/**
 * A window of the records that hold one of `keys`: the next `limit` of them in sequence order,
 * each key read as one range of the `record_keys` index. Every record found is still filtered by
 * the full rule in SQL (and in-process by the caller).
 */
async function keyWindow(
  trx: Transaction<Database>,
  keys: readonly { collection: string; field: string; value: string }[],
  visible: Expression<SqlBool>,
  from: number,
  high: number,
  limit: number,
): Promise<WindowRow[]> {
  const ranges = keys.map(
    (k, i) =>
      sql`select seq from (select seq from record_keys where collection = ${k.collection} and field = ${k.field} and value = ${k.value} and seq > ${from} and seq <= ${high} order by seq limit ${limit}) as ${sql.id(`k${i}`)}`,
  );
  const result =
    await sql<WindowRow>`select c.seq as seq, w.collection as collection, w.id as id, w.version as version, w.owner as owner, w.attrs as attrs,
      case when w.deleted_at is null and ${visible} then w.device end as shown
    from (select distinct seq from (${sql.join(ranges, sql` union all `)}) as u order by seq limit ${limit}) as c
    left join records as w on w.seq = c.seq
    order by c.seq`.execute(trx);
  return result.rows;
}

/** Changes sampled to choose between the keys and the sequence. */
const SAMPLE = 64;

/** Whether the caller may see at least half of a sample of the next changes. */
async function mostlyVisible(
  trx: Transaction<Database>,
  visible: Expression<SqlBool>,
  after: number,
  high: number,
): Promise<boolean> {
  const rows = await scanWindow(trx, visible, after, high, SAMPLE);
  return rows.filter((r) => r.shown !== null).length * 2 >= rows.length && rows.length > 0;
}

/**
 * The upserts of a page, read window by window: along the record keys when the read rules are
 * served by them (a pull then costs what the caller may see), along the change sequence
 * otherwise. Returns the upserts and the sequence number up to which every change has been
 * examined.
 */
async function readUpserts(
  trx: Transaction<Database>,
  bound: Bound,
  dialect: 'sqlite' | 'postgres',
  after: number,
  high: number,
  limit: number,
): Promise<{ upserts: Change[]; through: number }> {
  const visible = visibleSql(bound, 'w', dialect, columnsOf('w'));
  let keys = pullCover(bound);
  if (keys !== undefined && keys.length === 0) return { upserts: [], through: high };
  if (keys !== undefined && keys.length > 1 && (await mostlyVisible(trx, visible, after, high))) {
    // The caller sees most of what changed (a team lead, a supervisor): several keys would read
    // the same records more than once, the sequence reads each once.
    keys = undefined;
  }
  // Defence in depth on the key path: the rule runs again in-process on each record's attributes.
  const recheck = new Map(bound.map(([c, p]) => [c.name, encodeConstants(p)]));
  const upserts: Change[] = [];
  let from = after;
  for (let window = 0; window < MAX_WINDOWS; window++) {
    const rows =
      keys === undefined
        ? await scanWindow(trx, visible, from, high, limit)
        : await keyWindow(trx, keys, visible, from, high, limit);
    for (const row of rows) {
      if (row.shown === null || row.collection === null) continue;
      if (keys !== undefined) {
        const p = recheck.get(row.collection);
        const attrs = (typeof row.attrs === 'string' ? JSON.parse(row.attrs) : row.attrs) as Record<
          string,
          unknown
        >;
        if (p === undefined || !evaluatePredicate(p, { owner: row.owner ?? '', fields: attrs })) continue;
      }
      upserts.push({
        seq: Number(row.seq),
        json: `{"collection":${JSON.stringify(row.collection)},"id":${JSON.stringify(row.id)},"version":${Number(row.version)},"record":${row.shown}}`,
      });
    }
    if (rows.length < limit) return { upserts, through: high };
    from = Number((rows.at(-1) as WindowRow).seq);
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

/** The last number of the change sequence, as the page's snapshot sees it. */
async function highWaterMark(trx: Transaction<Database>): Promise<number> {
  const head = await trx
    .selectFrom('sync_counter')
    .select('seq')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(head.seq);
}

async function readPage(
  trx: Transaction<Database>,
  scope: PullScope,
  after: number,
  high: number,
  limit: number,
): Promise<{ changes: Change[]; checkpointSeq: number; hasMore: boolean }> {
  const { ctx, model, claims } = scope;
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
  const page = await tx.execute(async (trx) => {
    const high = await highWaterMark(trx);
    if (after > high) {
      // The checkpoint is ahead of the sequence: the database was restored from a backup, or a
      // replica that had not received the last commits was promoted. The numbers after `high`
      // will be handed out again to other changes, removals included, which this device would
      // take as already pulled: it starts over instead.
      after = 0;
      reset = true;
    }
    return readPage(trx, scope, after, high, limit);
  });
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
