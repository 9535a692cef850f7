/**
 * The server database: Kysely over embedded SQLite (better-sqlite3, the zero-setup default) or
 * PostgreSQL (`pg`). Migrations run at open. Beside the system of record sits a cache database
 * for short-lived shared state (DPoP `jti` replay cache, throttling counters) whose loss on a
 * crash is harmless and which must not pay a disk flush per request: on SQLite a second file
 * with `synchronous=OFF`, on PostgreSQL UNLOGGED tables. See docs/operations.md.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { withStatementCache } from './lib/statement-cache.js';
import { migrationProvider } from './migrations.js';
import type { CacheDatabase, Database } from './schema.js';

/** Where the server keeps its data: a folder for SQLite, or a PostgreSQL URL. */
export interface DatabaseOptions {
  /** Folder of the embedded SQLite database; created on first run. Ignored with `databaseUrl`. */
  readonly dataDir?: string;
  /** `postgres://user:password@host:port/database`; PostgreSQL instead of SQLite when set. */
  readonly databaseUrl?: string;
  /**
   * PostgreSQL schema to keep Bulwark's tables in (created when missing). Default: the
   * connection's search_path (`public`, or `?options=-c search_path=…` in the URL). Lets
   * Bulwark share a database with an application, and tests isolate themselves.
   */
  readonly schema?: string;
  /** Largest number of PostgreSQL connections of this node (default 10). */
  readonly poolSize?: number;
}

/** An open database and how to close it. */
export interface OpenDatabase {
  readonly db: Kysely<Database>;
  /** Short-lived shared state; the same connection as `db` on PostgreSQL. */
  readonly cache: Kysely<CacheDatabase>;
  readonly dialect: 'sqlite' | 'postgres';
  /** File path (SQLite) or URL without password (PostgreSQL), for logs. */
  readonly location: string;
  close(): Promise<void>;
}

/** File name of the embedded database inside the data folder. */
export const SQLITE_FILE = 'bulwark.sqlite';
/** File name of the embedded cache database inside the data folder. */
export const SQLITE_CACHE_FILE = 'bulwark-cache.sqlite';
/** Table of the throttling counters (the layout of rate-limiter-flexible's SQL stores). */
export const RATE_LIMIT_TABLE = 'bulwark_rate_limits';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The better-sqlite3 connection under each SQLite Kysely instance that {@link openDatabase} made. */
const sqliteConnections = new WeakMap<object, SQLite.Database>();

/**
 * The better-sqlite3 connection under `db` when {@link openDatabase} opened it on SQLite, else
 * undefined. For the synchronous, statement-prepared reads of the request-authentication hot
 * path (http/authenticate.ts), where Kysely's asynchronous executor costs more than the indexed
 * lookup itself. A caller must not read through it while `inTransaction` is true: the one
 * connection would then show another request's uncommitted writes.
 *
 * @example
 * ```ts
 * const sqlite = sqliteConnectionOf(db);
 * if (sqlite !== undefined && !sqlite.inTransaction) sqlite.prepare('select 1').get();
 * ```
 */
export function sqliteConnectionOf(db: object): SQLite.Database | undefined {
  return sqliteConnections.get(db);
}

/**
 * Opens (and creates on first run) the database and brings its schema up to date. SQLite runs
 * in WAL mode with `synchronous=FULL`; PostgreSQL is used when `databaseUrl` is given.
 *
 * @example
 * ```ts
 * const { db, close } = await openDatabase({ dataDir: './.bulwark' });
 * await close();
 * const pgDb = await openDatabase({ databaseUrl: 'postgres://bulwark@127.0.0.1/bulwark' });
 * await pgDb.close();
 * ```
 */
export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  if (options.databaseUrl !== undefined) return openPostgres(options.databaseUrl, options);
  if (options.dataDir === undefined) throw new Error('openDatabase needs dataDir or databaseUrl');
  return openSqlite(options.dataDir);
}

async function openSqlite(dataDir: string): Promise<OpenDatabase> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, SQLITE_FILE);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a transaction acknowledged to a client survives power loss, at some write cost.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const cacheSqlite = new SQLite(join(dataDir, SQLITE_CACHE_FILE));
  cacheSqlite.pragma('journal_mode = WAL');
  // OFF: replay-cache and throttling rows are worthless after a power loss; no flush per request.
  cacheSqlite.pragma('synchronous = OFF');
  cacheSqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  sqliteConnections.set(db, sqlite);
  const cache = new Kysely<CacheDatabase>({
    dialect: new SqliteDialect({ database: withStatementCache(cacheSqlite) }),
  });
  try {
    await migrate(db);
    await createCacheTables(cache, 'sqlite');
  } catch (err) {
    await cache.destroy();
    await db.destroy();
    throw err;
  }
  return {
    db,
    cache,
    dialect: 'sqlite',
    location: file,
    async close() {
      await cache.destroy();
      await db.destroy();
    },
  };
}

/** Reads PostgreSQL `bigint` (int8) as a JS number: Bulwark stores epoch milliseconds there. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

async function openPostgres(url: string, options: DatabaseOptions): Promise<OpenDatabase> {
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error('the PostgreSQL schema name must match [a-z_][a-z0-9_]*');
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: pgTypes,
    // Every connection resolves unqualified table names in Bulwark's schema.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client's network error must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // Nor may that of a client checked out between two queries (inside a transaction) when the
  // server restarts: the query in progress or the next one fails, and the request gets 503
  // `database_unavailable`; the pool discards the broken client.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    // Kysely looks for its migration tables in every schema unless told which one: name it, so
    // that another Kysely user of the same database cannot hide ours.
    const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    await migrate(db, current.rows[0]?.schema ?? schema);
    await createCacheTables(db as unknown as Kysely<CacheDatabase>, 'postgres');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const location = redactUrl(url);
  return {
    db,
    cache: db as unknown as Kysely<CacheDatabase>,
    dialect: 'postgres',
    location,
    close: () => db.destroy(),
  };
}

/** The URL without its password, safe for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/**
 * Creates the cache tables when missing. They are a cache, not versioned data: a layout change
 * drops and recreates them rather than migrating.
 */
export async function createCacheTables(
  cache: Kysely<CacheDatabase>,
  dialect: 'sqlite' | 'postgres',
): Promise<void> {
  const unlogged = dialect === 'postgres' ? sql`unlogged` : sql``;
  await sql`create ${unlogged} table if not exists dpop_jti (
    key varchar(64) primary key,
    expires_at bigint not null
  )`.execute(cache);
  await sql`create index if not exists dpop_jti_expires on dpop_jti (expires_at)`.execute(cache);
  // The layout of rate-limiter-flexible's own SQL stores, written by identity/lib/kysely-rate-limiter.ts.
  await sql`create ${unlogged} table if not exists ${sql.id(RATE_LIMIT_TABLE)} (
    key varchar(255) primary key,
    points integer not null default 0,
    expire bigint
  )`.execute(cache);
}

/**
 * Runs every pending migration; throws when one fails. `schema`: the PostgreSQL schema that holds
 * Bulwark's tables (and Kysely's migration tables).
 */
export async function migrate(db: Kysely<Database>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    throw new Error('database migration failed', { cause: error });
  }
}
