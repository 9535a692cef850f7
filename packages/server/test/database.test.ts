/** The database layer on both dialects: migrations, idempotent reopen, cache tables, int8 as numbers. */
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { describeEachDialect, openTestDatabase, type TestDatabase } from './lib/databases.js';

describeEachDialect('database', (dialect) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('creates every table and reopens without migrating twice', async () => {
    t = await openTestDatabase(dialect);
    expect(t.dialect).toBe(dialect);
    const tables = (await t.db.introspection.getTables()).map((x) => x.name).sort();
    for (const name of ['users', 'devices', 'sessions', 'refresh_tokens', 'server_keys', 'audit_events']) {
      expect(tables).toContain(name);
    }
    const again = await openDatabase(t.openOptions);
    const head = await again.db.selectFrom('audit_head').selectAll().execute();
    expect(head).toEqual([{ id: 1, seq: 0, hash: '0'.repeat(64) }]);
    await again.close();
  });

  it('reads bigint columns back as numbers and keeps the cache tables apart', async () => {
    t = await openTestDatabase(dialect);
    const big = Date.UTC(2030, 0, 1);
    await t.cache.insertInto('dpop_jti').values({ key: 'k', expires_at: big }).execute();
    const row = await t.cache.selectFrom('dpop_jti').selectAll().executeTakeFirstOrThrow();
    expect(row.expires_at).toBe(big);
    const result = await sql<{ n: number }>`select count(*) as n from dpop_jti`.execute(t.cache);
    expect(Number(result.rows[0]?.n)).toBe(1);
  });
});
