/**
 * The lock that makes a SQLite data folder one server's: a small SQLite file held in exclusive
 * locking mode for as long as the server runs. SQLite's own file locks (POSIX advisory locks)
 * are released by the operating system when the process ends, however it ends (kill -9
 * included), so there is no stale lock to clean up; and a second server process on the same
 * folder gets SQLITE_BUSY at once and is refused with a clear message. The command-line tools
 * (`bulwark events verify`, `bulwark admin …`) do not take it: they may run beside the server.
 */
import { join } from 'node:path';
import { BulwarkError } from '@bulwark/core';
import SQLite from 'better-sqlite3';

/** File name of the lock inside the data folder. */
export const SQLITE_LOCK_FILE = 'bulwark-server.lock';

/**
 * Thrown when another server process holds the data folder.
 *
 * @example
 * ```ts
 * const refused = new DataDirLockedError('./.bulwark');
 * console.error(refused.code, refused.message); // data_dir_locked, and what to do
 * ```
 */
export class DataDirLockedError extends BulwarkError {
  constructor(dataDir: string) {
    super(
      'data_dir_locked',
      `Another Bulwark server is already using the database in ${dataDir}. ` +
        'A SQLite database serves one server process; stop the other one, or use PostgreSQL ' +
        '(--database-url) to run several nodes.',
    );
  }
}

/** A held lock. */
export interface InstanceLock {
  release(): void;
}

/**
 * Takes the data folder's lock; throws {@link DataDirLockedError} when another server (another
 * process, or another server in this process) holds it.
 *
 * @example
 * ```ts
 * const lock = lockDataDir('./.bulwark');
 * try { await serve(); } finally { lock.release(); }
 * ```
 */
export function lockDataDir(dataDir: string): InstanceLock {
  const file = new SQLite(join(dataDir, SQLITE_LOCK_FILE), { timeout: 0 });
  try {
    file.pragma('journal_mode = DELETE');
    // After its first write transaction, a connection in exclusive mode keeps its lock until closed.
    file.pragma('locking_mode = EXCLUSIVE');
    file.exec('create table if not exists holder (pid integer not null)');
    file.exec('begin exclusive');
    file.exec('delete from holder');
    file.prepare('insert into holder (pid) values (?)').run(process.pid);
    file.exec('commit');
  } catch (err) {
    file.close();
    if (err instanceof SQLite.SqliteError && err.code.startsWith('SQLITE_BUSY')) {
      throw new DataDirLockedError(dataDir);
    }
    throw err;
  }
  return {
    release: () => {
      if (file.open) file.close();
    },
  };
}
