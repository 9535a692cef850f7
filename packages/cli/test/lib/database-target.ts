/**
 * The databases the CLI's database commands are tested against: a fresh SQLite data directory or
 * a fresh PostgreSQL schema, with the command-line arguments that point `bulwark` at it, and a
 * suite declared once that runs on each.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenDatabase, openDatabase } from '@bulwark/server';
import pg from 'pg';
import { afterEach, describe, it } from 'vitest';

const postgresUrl = process.env.BULWARK_TEST_DATABASE_URL;
const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** An open database, the arguments that name it to `bulwark`, and how to remove it. */
export interface Target {
  database: OpenDatabase;
  args: string[];
  dispose(): Promise<void>;
}

/**
 * Whether the `dialect` suite must be skipped: PostgreSQL outside CI with no
 * BULWARK_TEST_DATABASE_URL (in CI, `npm test` starts one, so a missing URL fails instead).
 *
 * @example
 * if (skipDialect(dialect)) { it.skip('needs BULWARK_TEST_DATABASE_URL', () => undefined); return; }
 */
export function skipDialect(dialect: 'sqlite' | 'postgres'): boolean {
  return dialect === 'postgres' && postgresUrl === undefined && !inCi;
}

/**
 * A fresh database of `dialect`; SQLite's data directory is named after `prefix`.
 *
 * @example
 * const target = await databaseTarget('sqlite', 'bulwark-cli-');
 * await runCli('events', 'verify', ...target.args);
 * await target.dispose();
 */
export async function databaseTarget(dialect: 'sqlite' | 'postgres', prefix: string): Promise<Target> {
  return dialect === 'sqlite' ? sqliteTarget(prefix) : postgresTarget();
}

async function sqliteTarget(prefix: string): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const database = await openDatabase({ dataDir: dir });
  return {
    database,
    args: ['--data-dir', dir],
    async dispose() {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresTarget(): Promise<Target> {
  if (postgresUrl === undefined)
    throw new Error('BULWARK_TEST_DATABASE_URL is not set (source scripts/services.sh)');
  const schema = `t_${randomBytes(8).toString('hex')}`;
  const database = await openDatabase({ databaseUrl: postgresUrl, schema, poolSize: 2 });
  const url = new URL(postgresUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    database,
    args: ['--database-url', url.toString()],
    async dispose() {
      await database.close();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/**
 * Declares the suite `title` once per dialect (`title [sqlite]`, `title [postgres]`); each test
 * asks `fresh()` for its own database, which is removed after the test.
 *
 * @example
 * describeEachDatabase('bulwark events verify', 'bulwark-cli-', (fresh) => {
 *   it('passes an intact log', async () => { const target = await fresh(); … });
 * });
 */
export function describeEachDatabase(
  title: string,
  prefix: string,
  body: (fresh: () => Promise<Target>) => void,
): void {
  describe.each(['sqlite', 'postgres'] as const)(`${title} [%s]`, (dialect) => {
    if (skipDialect(dialect)) {
      // Skipped only outside CI, where no PostgreSQL was provided: `npm test` starts one.
      it.skip('needs BULWARK_TEST_DATABASE_URL (source scripts/services.sh)', () => undefined);
      return;
    }
    let target: Target | undefined;
    afterEach(async () => {
      await target?.dispose();
      target = undefined;
    });
    body(async () => {
      target = await databaseTarget(dialect, prefix);
      return target;
    });
  });
}
