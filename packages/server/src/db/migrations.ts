/**
 * Schema migrations, kept in code so the server has no files to find at run time. Each one is
 * written once and never edited after release; a change is a new migration.
 */
import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

const migrations: Record<string, Migration> = {
  '0001_meta': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('bulwark_meta')
        .addColumn('key', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
        .execute();
    },
  },
};

/** Provides the migrations above to Kysely's Migrator, in name order. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
