/**
 * Tells whether a row of some SQLite tables may have changed since a moment, for caches that
 * must never serve a row the database no longer holds (http/authenticate.ts keeps the session
 * state of each session between requests with it).
 *
 * A clock counts changes; a caller takes a {@link SqliteChangeWatch.mark} before it reads, and
 * later asks whether the rows it read changed since. Two sources, so that no write is missed:
 * - writes through this process's connection fire TEMP triggers (they exist on this connection
 *   only, so another process opening the database never meets a function it lacks) on any
 *   insert or delete, and on any update of a watched column, of a watched table. They call a
 *   function registered here with the table and the key of the row (old and new), which records
 *   that row as changed now — inside the writing statement, before it returns, whether the
 *   transaction later commits or rolls back. Per row, so that the sign-in of one device does not
 *   make every other session read its row again;
 * - commits by any other connection (`bulwark admin passkeys reset` ending sessions while the
 *   server runs, an operator's `sqlite3`) change `PRAGMA data_version`, which this connection reads
 *   at each {@link SqliteChangeWatch.mark}: every row then counts as changed.
 *
 * The rows changed are remembered in a bounded map; the one forgotten to make room raises a floor
 * under which every mark counts as changed, so forgetting never hides a change.
 *
 * The triggers go with their tables: a watched table that this connection dropped and created
 * again (as SQLite applies most column changes) would lose them without a word. Migrations run
 * when the database is opened (db/database.ts), before any watch exists; nothing changes the
 * schema of a database in use. A table rebuilt by another connection keeps them (they name it)
 * and its commit changes the data version anyway.
 *
 * Written by hand: a trigger that calls back into the process is what SQLite offers for this;
 * no library wraps it.
 */
import { randomBytes } from 'node:crypto';
import type SQLite from 'better-sqlite3';

/**
 * A watched table: the column whose value names a row (its key, e.g. `id`) and the columns whose
 * update must be seen (an insert or a delete always is).
 */
export interface WatchedTable {
  readonly table: string;
  readonly key: string;
  readonly columns: readonly string[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** How many changed rows are remembered before the oldest is folded into the floor. */
const REMEMBERED_ROWS = 65_536;

/** Whether rows of watched tables changed since a mark. */
export class SqliteChangeWatch {
  readonly #dataVersion: SQLite.Statement<[], number>;
  #lastDataVersion: number;
  /** Counts changes: a mark is its value, a change gets the next one. */
  #clock = 0;
  /** Every mark below this counts as changed (another connection's commit, a forgotten row). */
  #floor = 0;
  /** When each changed row last changed, by `table index:key`, oldest change first. */
  readonly #changed = new Map<string, number>();
  readonly #remembered: number;

  /**
   * Installs the triggers on `sqlite` (after the schema is migrated: they go with their table).
   *
   * @example
   * ```ts
   * const watch = new SqliteChangeWatch(sqlite, [{ table: 'users', key: 'id', columns: ['role'] }]);
   * const mark = watch.mark();
   * const row = readUser(userId);
   * // … later: watch.changedSince(mark, 0, userId) is false while nothing wrote that row.
   * ```
   */
  constructor(sqlite: SQLite.Database, tables: readonly WatchedTable[], remembered = REMEMBERED_ROWS) {
    this.#remembered = remembered;
    // A name of its own: a second `function` of the same name on this connection would replace
    // this one, leaving these triggers to record changes nobody reads.
    const fn = `bulwark_watch_${randomBytes(8).toString('hex')}`;
    sqlite.function(fn, { deterministic: false, varargs: false }, (table: unknown, key: unknown) => {
      this.#record(`${String(table)}:${String(key)}`);
      return null;
    });
    const statements: string[] = [];
    tables.forEach(({ table, key, columns }, index) => {
      for (const name of [table, key, ...columns]) {
        if (!IDENTIFIER.test(name))
          throw new Error(`change watch: ${JSON.stringify(name)} is no plain identifier`);
      }
      const trigger = (suffix: string, event: string, rows: string) =>
        `CREATE TEMP TRIGGER ${fn}_${table}_${suffix} AFTER ${event} ON main.${table} BEGIN ${rows} END;`;
      const call = (row: 'OLD' | 'NEW') => `SELECT ${fn}(${index}, ${row}.${key});`;
      statements.push(
        trigger('insert', 'INSERT', call('NEW')),
        trigger('update', `UPDATE OF ${[key, ...columns].join(', ')}`, `${call('OLD')} ${call('NEW')}`),
        trigger('delete', 'DELETE', call('OLD')),
      );
    });
    sqlite.exec(statements.join('\n'));
    this.#dataVersion = sqlite.prepare<[], number>('PRAGMA main.data_version').pluck();
    this.#lastDataVersion = this.#dataVersion.get() as number;
  }

  /**
   * The moment to compare with later, taken before reading. Reads `PRAGMA data_version`: a
   * commit by another connection since the last mark counts as a change of every row.
   */
  mark(): number {
    const version = this.#dataVersion.get() as number;
    if (version !== this.#lastDataVersion) {
      this.#lastDataVersion = version;
      this.#clock += 1;
      this.#floor = this.#clock;
    }
    return this.#clock;
  }

  /**
   * Whether the row of watched table `table` (its index in the list given to the constructor)
   * whose key is `key` may have changed after `mark`. Take a new mark first: it is what looks
   * at other connections' commits.
   */
  changedSince(mark: number, table: number, key: string): boolean {
    if (this.#floor > mark) return true;
    const at = this.#changed.get(`${table}:${key}`);
    return at !== undefined && at > mark;
  }

  #record(row: string): void {
    this.#clock += 1;
    this.#changed.delete(row);
    this.#changed.set(row, this.#clock);
    if (this.#changed.size > this.#remembered) {
      // The oldest change: no mark below it may trust its absence from the map any more.
      for (const [oldest, at] of this.#changed) {
        this.#changed.delete(oldest);
        if (at > this.#floor) this.#floor = at;
        break;
      }
    }
  }
}
