/**
 * The database of a Bulwark server, opened by the commands that work on it directly (`events
 * verify`, `admin …`), with the flags `bulwark serve` takes: `--data-dir` for the embedded
 * SQLite database, `--database-url` (or `$BULWARK_DATABASE_URL`) for PostgreSQL.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OpenDatabase } from '@bulwark/server';

/** The database flags of a command. */
export interface DatabaseFlags {
  readonly dataDir: string;
  readonly databaseUrl?: string;
}

/**
 * Opens the database the flags name, runs `work` with it and closes it; when it cannot be
 * opened, says why on stderr, prefixed by the command's `name`, and sets exit code 2.
 *
 * @example
 * ```ts
 * await withServerDatabase('bulwark events verify', flags, async (database) => {
 *   console.log(await verifyEventChain(database.db, 1000));
 * });
 * ```
 */
export async function withServerDatabase(
  name: string,
  flags: DatabaseFlags,
  work: (database: OpenDatabase) => Promise<void>,
): Promise<void> {
  const databaseUrl = flags.databaseUrl ?? process.env.BULWARK_DATABASE_URL;
  const dataDir = resolve(flags.dataDir);
  // Loaded here, not at the top, so other commands start without loading the server.
  const { openDatabase, SQLITE_FILE } = await import('@bulwark/server');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    process.stderr.write(`${name}: --database-url must be a postgres:// URL.\n`);
    process.exitCode = 2;
    return;
  }
  if (databaseUrl === undefined && !existsSync(join(dataDir, SQLITE_FILE))) {
    process.stderr.write(`${name}: no Bulwark database in ${dataDir}.\n`);
    process.exitCode = 2;
    return;
  }
  let database: OpenDatabase;
  try {
    database = await openDatabase(databaseUrl === undefined ? { dataDir } : { databaseUrl });
  } catch (err) {
    process.stderr.write(`${name}: cannot open the database: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    await work(database);
  } finally {
    await database.close();
  }
}
