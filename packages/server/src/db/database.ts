/**
 * The server database: Kysely over embedded SQLite (better-sqlite3, the zero-setup default).
 * Migrations run at start. See docs/operations.md for the journal and `synchronous` choices.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

/** Where the server keeps its data. */
export interface DatabaseOptions {
  /** Folder of the embedded SQLite database; created on first run. */
  readonly dataDir: string;
}

/** An open database and how to close it. */
export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: 'sqlite';
  readonly location: string;
  close(): Promise<void>;
}

/** File name of the embedded database inside the data folder. */
export const SQLITE_FILE = 'bulwark.sqlite';

/**
 * Opens (and creates on first run) the embedded SQLite database, in WAL mode with
 * `synchronous=FULL`, and brings its schema up to date.
 *
 * @example
 * ```ts
 * const { db, close } = await openDatabase({ dataDir: './.bulwark' });
 * await close();
 * ```
 */
export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = join(options.dataDir, SQLITE_FILE);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a transaction acknowledged to a client survives power loss, at some write cost.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db);
  return {
    db,
    dialect: 'sqlite',
    location: file,
    close: () => db.destroy(),
  };
}

/** Runs every pending migration; throws when one fails. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    throw new Error('database migration failed', { cause: error });
  }
}
