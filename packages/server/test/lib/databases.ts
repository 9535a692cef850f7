/**
 * The dual-dialect test harness: every behaviour suite of the server runs once on SQLite and
 * once on PostgreSQL, and each test gets a database of its own (a temporary folder, or a fresh
 * PostgreSQL schema that is dropped afterwards).
 *
 * PostgreSQL comes from BULWARK_TEST_DATABASE_URL, which `scripts/services.sh` (run by `npm test`)
 * exports. Without it the PostgreSQL half fails under CI=true and is skipped, with the reason
 * printed, on a developer's machine.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../src/db/database.js';

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];

const postgresUrl = process.env.BULWARK_TEST_DATABASE_URL;
const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** A database for one test, and how to throw it away. */
export interface TestDatabase extends OpenDatabase {
  /** Folder (SQLite) or schema (PostgreSQL) of this test. */
  readonly where: string;
  /** The open options, to open the same database again (e.g. from the CLI). */
  readonly openOptions: { dataDir: string } | { databaseUrl: string; schema: string };
  dispose(): Promise<void>;
}

/**
 * Runs `body` once per dialect inside `describe('<title> [<dialect>]')`.
 */
export function describeEachDialect(title: string, body: (dialect: Dialect) => void): void {
  describe.each(DIALECTS)(`${title} [%s]`, (dialect) => {
    if (dialect === 'postgres' && postgresUrl === undefined && !inCi) {
      // Skipped only outside CI, where no PostgreSQL was provided: `npm test` starts one.
      it.skip('needs BULWARK_TEST_DATABASE_URL (source scripts/services.sh)', () => undefined);
      return;
    }
    body(dialect);
  });
}

/** Opens a fresh, migrated database of `dialect`. */
export async function openTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-test-'));
    const open = await openDatabase({ dataDir });
    return {
      ...open,
      where: dataDir,
      openOptions: { dataDir },
      async dispose() {
        await open.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  if (postgresUrl === undefined) {
    throw new Error(
      'BULWARK_TEST_DATABASE_URL is not set: the PostgreSQL half of the suite cannot run ' +
        '(`npm test` sources scripts/services.sh, which starts a server and sets it).',
    );
  }
  const schema = `t_${randomBytes(8).toString('hex')}`;
  const open = await openDatabase({ databaseUrl: postgresUrl, schema, poolSize: 4 });
  return {
    ...open,
    where: schema,
    openOptions: { databaseUrl: postgresUrl, schema },
    async dispose() {
      await open.close();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
