/**
 * Tells whether some columns of some SQLite tables may have changed since a moment, for caches
 * that must never serve a row the database no longer holds (http/authenticate.ts keeps the
 * session state of each session between requests with it).
 *
 * Two sources, so that no write is missed:
 * - writes through this process's connection fire TEMP triggers (they exist on this connection
 *   only, so another process opening the database never meets a function it lacks) that call
 *   a function registered here, which moves the generation on — inside the writing statement,
 *   before it returns, whether the transaction later commits or rolls back;
 * - commits by any other connection (`bulwark admin passkeys reset` ending sessions while the
 *   server runs, an operator's `sqlite3`) change `PRAGMA data_version`, which this connection reads
 *   at each {@link SqliteChangeWatch.generation} call; a change moves the generation on too.
 *
 * Written by hand: a trigger that calls back into the process is what SQLite offers for this;
 * no library wraps it.
 */
import type SQLite from 'better-sqlite3';

/** The columns of one table whose change (update, insert or delete of a row) must be seen. */
export interface WatchedTable {
  readonly table: string;
  readonly columns: readonly string[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

let watchCount = 0;

/** A generation that moves on whenever a watched column may have changed. */
export class SqliteChangeWatch {
  readonly #dataVersion: SQLite.Statement<[], number>;
  #generation = 0;
  #lastDataVersion: number;

  /**
   * Installs the triggers on `sqlite` (after the schema is migrated: they go with their table).
   *
   * @example
   * ```ts
   * const watch = new SqliteChangeWatch(sqlite, [{ table: 'users', columns: ['role', 'disabled_at'] }]);
   * const seen = watch.generation();
   * // … later: watch.generation() === seen when none of them changed since.
   * ```
   */
  constructor(sqlite: SQLite.Database, tables: readonly WatchedTable[]) {
    watchCount += 1;
    const fn = `bulwark_watch_${watchCount}`;
    sqlite.function(fn, { deterministic: false, varargs: false }, () => {
      this.#generation += 1;
      return null;
    });
    const statements: string[] = [];
    for (const { table, columns } of tables) {
      for (const name of [table, ...columns]) {
        if (!IDENTIFIER.test(name))
          throw new Error(`change watch: ${JSON.stringify(name)} is no plain identifier`);
      }
      const trigger = (suffix: string, event: string) =>
        `CREATE TEMP TRIGGER ${fn}_${table}_${suffix} AFTER ${event} ON main.${table} BEGIN SELECT ${fn}(); END;`;
      statements.push(
        trigger('insert', 'INSERT'),
        trigger('update', `UPDATE OF ${columns.join(', ')}`),
        trigger('delete', 'DELETE'),
      );
    }
    sqlite.exec(statements.join('\n'));
    this.#dataVersion = sqlite.prepare<[], number>('PRAGMA main.data_version').pluck();
    this.#lastDataVersion = this.#dataVersion.get() as number;
  }

  /**
   * The current generation: equal to an earlier answer only when no watched column was written
   * in between, by this connection or by a commit of another.
   */
  generation(): number {
    const version = this.#dataVersion.get() as number;
    if (version !== this.#lastDataVersion) {
      this.#lastDataVersion = version;
      this.#generation += 1;
    }
    return this.#generation;
  }
}
