/**
 * Seeding on both dialects: the demo configuration's seed creates its accounts (who sign in with
 * the printed passwords) and a hundred inspections that went through the API's write path (schema
 * valid, allowed by the rules, shaped by the hook, serverOnly fields kept from devices); a seed
 * that breaks the schema or the rules fails loudly. `startServer` runs a seed on the first start
 * of a database only, and a server without a seed seeds nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collection, defineSchema, t, validate } from '@bulwark/core/schema';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { riskScore } from '../../../apps/demo/bulwark.config.js';
import type { BulwarkConfig } from '../src/config/define.js';
import { createServerContext } from '../src/context.js';
import { runSeed, type Seed, SeedError } from '../src/data/seed.js';
import { openDatabase } from '../src/db/database.js';
import { evaluatePredicate } from '../src/rules/predicate.js';
import { startServer } from '../src/serve.js';
import { demoConfig, startDemoServer } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import { TEST_AUTH, TestDevice, type TestServer } from './lib/harness.js';

interface StoredInspection {
  inspector: string;
  team: string;
  status: string;
  findings: { severity: 'low' | 'medium' | 'high' }[];
  riskScore: number;
  internalNotes?: string;
  residentPhone?: string;
}

describeEachDialect('seeding', (dialect) => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startDemoServer(dialect);
  });
  afterEach(async () => {
    await s.close();
  });

  it('seeds the demo: accounts in teams who sign in with their printed passwords, 100 inspections the rules allow', async () => {
    const config = await demoConfig();
    const seed = config.seed;
    if (seed === undefined) throw new Error('the demo configuration has no seed');
    // The seed runs with the configuration as it is (the test server's own adds serverOnly
    // canaries), on the test server's database.
    const ctx = await createServerContext({
      db: s.ctx.db,
      cache: s.ctx.cache,
      now: s.clock.now,
      auth: TEST_AUTH,
      data: config,
    });
    const result = await runSeed(ctx, seed);
    expect(result.users).toBe(5);
    expect(result.records).toBe(100);
    expect(result.accounts.map((a) => a.username)).toEqual(['ines', 'tomas', 'amara', 'lukas', 'noor']);
    expect(new Set(result.accounts.flatMap((a) => a.teams))).toEqual(
      new Set(['north', 'south', 'supervisors']),
    );
    for (const account of result.accounts) {
      expect(account.password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
      expect(account.oneTime).toBe(false);
    }

    const model = s.ctx.data?.model.collections.get('inspections');
    if (model === undefined) throw new Error('no inspections collection');
    const rows = await s.ctx.db
      .selectFrom('records')
      .selectAll()
      .where('collection', '=', 'inspections')
      .execute();
    expect(rows).toHaveLength(100);
    const users = await s.ctx.db.selectFrom('users').select(['id', 'username']).execute();
    const teams = await s.ctx.db.selectFrom('user_teams').selectAll().execute();
    const claimsOf = (userId: string) => ({
      userId,
      username: users.find((u) => u.id === userId)?.username ?? '',
      role: 'user',
      teams: teams.filter((m) => m.user_id === userId).map((m) => m.team),
    });
    let withNotes = 0;
    let withPhone = 0;
    for (const row of rows) {
      const data = JSON.parse(row.data ?? '{}') as StoredInspection;
      // Valid server data, allowed to its creator by the create rule, scored by the hook.
      expect(validate(model.collection, data, { mode: 'create', source: 'server' }).ok).toBe(true);
      expect(
        evaluatePredicate(model.create(claimsOf(row.owner)), {
          owner: row.owner,
          fields: data as unknown as Record<string, unknown>,
        }),
      ).toBe(true);
      expect(data.riskScore).toBe(riskScore(data.findings));
      if (data.status === 'done') expect(data.findings.length).toBeGreaterThan(0);
      // The device projection never holds a serverOnly field.
      expect(row.device).not.toContain('internalNotes');
      expect(row.device).not.toContain('riskScore');
      if (data.internalNotes !== undefined) withNotes += 1;
      if (data.residentPhone !== undefined) withPhone += 1;
    }
    expect(withNotes).toBeGreaterThan(5);
    expect(withPhone).toBeGreaterThan(30);
    expect(new Set(rows.map((r) => (JSON.parse(r.data ?? '{}') as StoredInspection).status))).toEqual(
      new Set(['scheduled', 'in_progress', 'done']),
    );

    // An inspector signs in with the printed password and sees the inspections of the team.
    const ines = result.accounts[0];
    if (ines === undefined) throw new Error('no account');
    const device = await TestDevice.create(s);
    const session = await device.login(ines.username, ines.password);
    const list = await device.call(session, 'GET', '/data/inspections?limit=100');
    expect(list.statusCode).toBe(200);
    const items = (
      list.json().records as { record: { team: string; internalNotes?: string; riskScore?: number } }[]
    ).map((r) => r.record);
    expect(items.length).toBe(50);
    expect(items.every((i) => i.team === 'north')).toBe(true);
    expect(items.filter((i) => i.internalNotes !== undefined || i.riskScore !== undefined)).toEqual([]);
    const noor = result.accounts[4];
    if (noor === undefined) throw new Error('no account');
    const boss = await TestDevice.create(s);
    const bossSession = await boss.login(noor.username, noor.password);
    const all = await boss.call(bossSession, 'GET', '/data/inspections?limit=100');
    expect(all.json().records).toHaveLength(100);

    await ctx.events.flush();
    const events = await s.ctx.events.list();
    expect(events.filter((e) => e.type === 'user_created' && e.data.seeded === true)).toHaveLength(5);
    expect(events.find((e) => e.type === 'seeded')?.data).toEqual({ users: 5, records: 100 });
    expect(JSON.stringify(events)).not.toContain(ines.password);
  });

  it('fails loudly when a seed breaks the schema, the rules or the serverOnly boundary', async () => {
    const attempt = async (seed: Seed) =>
      runSeed(s.ctx, seed).then(
        () => undefined,
        (err: unknown) => err,
      );
    const body = (inspector: string, team: string) => ({
      site: 'Depot 4',
      inspector,
      team,
      status: 'scheduled',
      scheduledAt: '2030-01-20T08:30:00Z',
      findings: [],
      photos: [],
    });
    const invalid = await attempt(async ({ user, create }) => {
      const a = await user({ username: 'a1', teams: ['north'] });
      await create('inspections', { ...body(a.id, 'north'), status: 'lost' }, { as: a });
    });
    expect(invalid).toBeInstanceOf(SeedError);
    expect((invalid as Error).message).toMatch(/validation_failed.*\/status/);

    const forbidden = await attempt(async ({ user, create }) => {
      const b = await user({ username: 'b1', teams: ['north'] });
      await create('inspections', body(b.id, 'south'), { as: b });
    });
    expect((forbidden as Error).message).toMatch(/forbidden/);

    const hooked = await attempt(async ({ user, create }) => {
      const c = await user({ username: 'c1', teams: ['north'] });
      await create('inspections', { ...body(c.id, 'north'), status: 'done' }, { as: c });
    });
    expect((hooked as Error).message).toMatch(/findings_required/);

    const smuggled = await attempt(async ({ user, create }) => {
      const d = await user({ username: 'd1', teams: ['north'] });
      await create('inspections', body(d.id, 'north'), { as: d, serverOnly: { site: 'elsewhere' } });
    });
    expect((smuggled as Error).message).toMatch(/not a serverOnly field/);

    const clientServerOnly = await attempt(async ({ user, create }) => {
      const e = await user({ username: 'e1', teams: ['north'] });
      await create('inspections', { ...body(e.id, 'north'), internalNotes: 'x' }, { as: e });
    });
    expect((clientServerOnly as Error).message).toMatch(/server_only/);

    const taken = await attempt(async ({ user }) => {
      await user({ username: 'a1' });
    });
    expect((taken as Error).message).toMatch(/cannot create user a1/);

    const rows = await s.ctx.db.selectFrom('records').select('id').execute();
    expect(rows).toHaveLength(0);
  });
});

describe('startServer and seeding', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-seed-'));
    dirs.push(dir);
    return dir;
  };
  const notes = collection('notes', { fields: { text: t.string({ maxLength: 100 }) } });
  const config: BulwarkConfig = {
    schema: defineSchema({ version: 1, collections: [notes] }),
    async seed({ user, create }) {
      const ada = await user({ username: 'ada' });
      await user({ username: 'bob', oneTime: true, print: false });
      await create('notes', { text: 'hello' }, { as: ada });
    },
  };

  it('seeds on the first start of a database only', async () => {
    const dataDir = fresh();
    const first = await startServer({ host: '127.0.0.1', port: 0, dataDir, data: config });
    try {
      expect(first.initialAdmin).toBeDefined();
      expect(first.seeded?.accounts.map((a) => a.username)).toEqual(['ada']);
      expect(first.seeded).toMatchObject({ users: 2, records: 1 });
    } finally {
      await first.close();
    }
    const second = await startServer({ host: '127.0.0.1', port: 0, dataDir, data: config });
    try {
      expect(second.initialAdmin).toBeUndefined();
      expect(second.seeded).toBeUndefined();
    } finally {
      await second.close();
    }
    const database = await openDatabase({ dataDir });
    try {
      expect(await database.db.selectFrom('users').select('username').orderBy('username').execute()).toEqual([
        { username: 'ada' },
        { username: 'admin' },
        { username: 'bob' },
      ]);
      expect(await database.db.selectFrom('records').select('id').execute()).toHaveLength(1);
    } finally {
      await database.close();
    }
  });

  it('seeds nothing without a seed in the configuration, or without a configuration', async () => {
    for (const data of [undefined, { schema: config.schema }]) {
      const dataDir = fresh();
      const server = await startServer({
        host: '127.0.0.1',
        port: 0,
        dataDir,
        ...(data === undefined ? {} : { data }),
      });
      try {
        expect(server.initialAdmin).toBeDefined();
        expect(server.seeded).toBeUndefined();
      } finally {
        await server.close();
      }
    }
  });

  it('refuses to start, saying what to do, when the seed fails', async () => {
    const dataDir = fresh();
    const broken: BulwarkConfig = {
      schema: config.schema,
      async seed({ user, create }) {
        const ada = await user({ username: 'ada' });
        await create('notes', { text: 'x'.repeat(200) }, { as: ada });
      },
    };
    await expect(startServer({ host: '127.0.0.1', port: 0, dataDir, data: broken })).rejects.toThrow(
      /seed: notes record refused.*delete it/,
    );
  });
});
