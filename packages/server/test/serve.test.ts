/**
 * `startServer` on both dialects: the first start creates the admin and returns its one-time
 * password once; later starts (another node, a restart) create nothing; the password works
 * once and must be changed.
 */
import { afterEach, expect, it } from 'vitest';
import { startServer } from '../src/serve.js';
import { describeEachDialect, openTestDatabase, type TestDatabase } from './lib/databases.js';

describeEachDialect('startServer', (dialect) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('creates the first admin once and listens', async () => {
    t = await openTestDatabase(dialect);
    const where =
      'dataDir' in t.openOptions
        ? { dataDir: t.openOptions.dataDir }
        : {
            dataDir: '.unused',
            databaseUrl: (() => {
              const url = new URL(t.openOptions.databaseUrl);
              url.searchParams.set('options', `-c search_path=${t.openOptions.schema}`);
              return url.toString();
            })(),
          };
    const first = await startServer({ host: '127.0.0.1', port: 0, ...where });
    try {
      expect(first.initialAdmin?.username).toBe('admin');
      expect(first.initialAdmin?.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      if (dialect === 'postgres') expect(first.databaseLocation).not.toContain('bulwark_test:bulwark_test');
      const res = await fetch(`${first.url}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await first.close();
    }
    const second = await startServer({ host: '127.0.0.1', port: 0, ...where });
    try {
      expect(second.initialAdmin).toBeUndefined();
    } finally {
      await second.close();
    }
    const admins = await t.db
      .selectFrom('users')
      .select(['username', 'role', 'must_change_password'])
      .execute();
    expect(admins).toEqual([{ username: 'admin', role: 'admin', must_change_password: 1 }]);
    const events = await t.db.selectFrom('audit_events').select('type').execute();
    expect(events.map((e) => e.type)).toEqual(['admin_created']);
  });
});
