/**
 * Prepared-statement reuse for Kysely's SQLite dialect. Kysely prepares every query anew, which
 * costs more than running it for the small indexed lookups of request authentication; this
 * wrapper keeps the last few hundred statements by SQL text. Streaming (`iterate`) still gets a
 * statement of its own, because a statement cannot run twice at once.
 */
import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { LruMap } from '../../lib/lru.js';

/**
 * Wraps `db` so that `prepare` returns cached statements.
 *
 * @example
 * ```ts
 * new Kysely({ dialect: new SqliteDialect({ database: withStatementCache(new SQLite(file)) }) });
 * ```
 */
export function withStatementCache(db: SQLite.Database, max = 256): SqliteDatabase {
  const cache = new LruMap<string, SqliteStatement>(max);
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement === undefined) {
        const prepared = db.prepare(sql);
        statement = {
          reader: prepared.reader,
          all: (parameters) => prepared.all(...parameters),
          run: (parameters) => prepared.run(...parameters),
          iterate: (parameters) => db.prepare(sql).iterate(...parameters) as IterableIterator<unknown>,
        };
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
