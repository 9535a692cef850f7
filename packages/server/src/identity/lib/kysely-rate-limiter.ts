/**
 * A rate-limiter-flexible store over Kysely, so that throttling counters live in the shared
 * database (SQLite or PostgreSQL, the cache tables) and every server node sees the same counts.
 * It plugs into the library's own store extension point (`RateLimiterStoreAbstract`): the
 * library keeps the limiting logic, this file only reads and writes rows, atomically, with one
 * `insert … on conflict … returning` statement. Time comes from the injected clock.
 */
import { createRequire } from 'node:module';
import { type Kysely, sql } from 'kysely';
import { RateLimiterRes, type RateLimiterStoreAbstract } from 'rate-limiter-flexible';
import { RATE_LIMIT_TABLE } from '../../db/database.js';

// The store base class is typed by the package but not exported by its entry point; it is the
// class every built-in database store of the library extends.
const StoreAbstract = createRequire(import.meta.url)(
  'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js',
) as typeof RateLimiterStoreAbstract;

interface StoreRow {
  points: number;
  expire: number | null;
}

/** Options: the library's, plus the database and the clock. */
export interface KyselyRateLimiterOptions {
  readonly keyPrefix: string;
  /** Points a key may consume per `duration`. */
  readonly points: number;
  /** Window in seconds (0: never expires). */
  readonly duration: number;
  /** Seconds a key stays blocked once it exceeds `points` (0: until the window ends). */
  readonly blockDuration?: number;
  // biome-ignore lint/suspicious/noExplicitAny: the limiter only runs raw SQL on the cache tables.
  readonly db: Kysely<any>;
  readonly nowMs: () => number;
}

/** rate-limiter-flexible limiter whose counters are rows of `bulwark_rate_limits`. */
export class KyselyRateLimiter extends StoreAbstract {
  // biome-ignore lint/suspicious/noExplicitAny: see KyselyRateLimiterOptions.db.
  readonly #db: Kysely<any>;
  readonly #nowMs: () => number;

  constructor(options: KyselyRateLimiterOptions) {
    const { db, nowMs, ...rest } = options;
    // The store client is unused by the abstract class beyond a presence check.
    super({ ...rest, storeClient: db });
    this.#db = db;
    this.#nowMs = nowMs;
  }

  /** Adds `points` (or sets them with `forceExpire`) and returns the row after the change. */
  async _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<StoreRow> {
    const now = this.#nowMs();
    const expire = msDuration > 0 ? now + msDuration : null;
    const force = forceExpire ? 1 : 0;
    const table = sql.table(RATE_LIMIT_TABLE);
    const result = await sql<StoreRow>`
      insert into ${table} (key, points, expire) values (${rlKey}, ${points}, ${expire})
      on conflict (key) do update set
        points = case
          when ${force} = 1 or ${table}.expire <= ${now} then excluded.points
          else ${table}.points + excluded.points
        end,
        expire = case
          when ${force} = 1 or ${table}.expire <= ${now} then excluded.expire
          else ${table}.expire
        end
      returning points, expire`.execute(this.#db);
    const row = result.rows[0];
    if (row === undefined) throw new Error('rate limit upsert returned no row');
    return { points: Number(row.points), expire: row.expire === null ? null : Number(row.expire) };
  }

  async _get(rlKey: string): Promise<StoreRow | null> {
    const now = this.#nowMs();
    const result = await sql<StoreRow>`
      select points, expire from ${sql.table(RATE_LIMIT_TABLE)}
      where key = ${rlKey} and (expire is null or expire > ${now})`.execute(this.#db);
    const row = result.rows[0];
    return row === undefined
      ? null
      : { points: Number(row.points), expire: row.expire === null ? null : Number(row.expire) };
  }

  async _delete(rlKey: string): Promise<boolean> {
    const result = await sql`delete from ${sql.table(RATE_LIMIT_TABLE)} where key = ${rlKey}`.execute(
      this.#db,
    );
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  _getRateLimiterRes(_rlKey: string, changedPoints: number, row: StoreRow): RateLimiterRes {
    const isFirstInDuration = changedPoints === row.points;
    const consumedPoints = isFirstInDuration ? changedPoints : row.points;
    return new RateLimiterRes(
      Math.max(this.points - consumedPoints, 0),
      row.expire === null ? -1 : Math.max(row.expire - this.#nowMs(), 0),
      consumedPoints,
      isFirstInDuration,
    );
  }

  /** Deletes rows that expired before `beforeMs`; returns how many. */
  async purgeExpired(beforeMs: number): Promise<number> {
    const result = await sql`delete from ${sql.table(RATE_LIMIT_TABLE)} where expire < ${beforeMs}`.execute(
      this.#db,
    );
    return Number(result.numAffectedRows ?? 0);
  }
}
