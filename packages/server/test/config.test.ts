/**
 * The data configuration: `bulwark serve --config` on the demo app's file in a real Node process
 * (TypeScript loaded by jiti), loader errors, every configuration mistake refused at start with
 * its path, re-projection of stored records when a field becomes serverOnly, and the admin routes
 * for team membership.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collection, defineSchema, t } from '@bulwark/core/schema';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BulwarkConfig } from '../src/config/define.js';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig } from '../src/config/load.js';
import { resolveDataModel } from '../src/config/model.js';
import { createServerContext } from '../src/context.js';
import {
  type Actor,
  createMember,
  DEMO_CONFIG_FILE,
  inspection,
  signIn,
  startDemoServer,
} from './lib/data-world.js';
import { describeEachDialect, openTestDatabase } from './lib/databases.js';
import type { TestServer } from './lib/harness.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

describe('bulwark serve --config', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bulwark-config-'));
  });
  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads the demo app’s bulwark.config.ts and serves its collections', async () => {
    child = spawn(
      process.execPath,
      [
        join(ROOT, 'packages/cli/dist/bin.js'),
        'serve',
        '--config',
        DEMO_CONFIG_FILE,
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--log-level',
        'silent',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m !== null) resolve(m[1] as string);
      });
      child?.stderr?.on('data', (chunk: Buffer) => {
        err += chunk.toString();
      });
      child?.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/data/inspections',
        '/data/inspections/{id}',
        '/data/audit_notes',
        '/sync/pull',
        '/sync/push',
      ]),
    );
    const unauthenticated = await fetch(`${url}/data/inspections`);
    expect(unauthenticated.status).toBe(401);
  });

  it('refuses a broken configuration at start, saying why', async () => {
    const file = join(dataDir, 'broken.config.ts');
    writeFileSync(
      file,
      `import { schema } from '${join(ROOT, 'apps/demo/schema.js')}';\nexport default { schema, collections: { inspections: { rules: { read: { field: 'nope', eq: 1 } } } } };\n`,
    );
    const result = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const p = spawn(
        process.execPath,
        [
          join(ROOT, 'packages/cli/dist/bin.js'),
          'serve',
          '--config',
          file,
          '--port',
          '0',
          '--data-dir',
          dataDir,
        ],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let err = '';
      p.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      p.on('exit', (code) => resolve({ code, err }));
    });
    expect(result.code).toBe(1);
    expect(result.err).toContain('inspections.read.field: no field "nope"');
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-load-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a missing file, a module that throws and a module without a config', async () => {
    await expect(loadConfig(join(dir, 'none.ts'))).rejects.toThrow(ConfigError);
    writeFileSync(join(dir, 'throws.ts'), 'throw new Error("boom");\nexport default {};\n');
    await expect(loadConfig(join(dir, 'throws.ts'))).rejects.toThrow(/cannot load .*boom/);
    writeFileSync(join(dir, 'empty.ts'), 'export const x: number = 1;\n');
    await expect(loadConfig(join(dir, 'empty.ts'))).rejects.toThrow(/must export default/);
    writeFileSync(join(dir, 'ok.mjs'), 'export const config = { schema: { list: [] } };\n');
    await expect(loadConfig(join(dir, 'ok.mjs'))).resolves.toEqual({ schema: { list: [] } });
  });
});

describe('resolveDataModel', () => {
  const notes = collection('notes', {
    fields: { text: t.string(), score: t.number().serverOnly(), tags: t.array(t.string()) },
  });
  const soft = collection('soft', {
    fields: { text: t.string(), score: t.number().serverOnly().optional() },
  });
  const schema = defineSchema({ version: 1, collections: [notes, soft] });
  const hook = { beforeWrite: () => undefined };
  const refuse = (config: unknown, message: RegExp) => {
    expect(() => resolveDataModel(config as BulwarkConfig)).toThrow(ConfigError);
    expect(() => resolveDataModel(config as BulwarkConfig)).toThrow(message);
  };

  it('accepts a good configuration and defaults unset rules to the owner', () => {
    const model = resolveDataModel({ schema, collections: { notes: { hooks: hook } } });
    const claims = { userId: 'u1', username: 'u', role: 'user', teams: [] };
    expect(model.collections.get('soft')?.read(claims)).toEqual({
      k: 'eq',
      target: { kind: 'owner' },
      value: 'u1',
    });
    expect(model.collections.get('soft')?.delete(claims)).toEqual({
      k: 'eq',
      target: { kind: 'owner' },
      value: 'u1',
    });
    expect(model.offline.map((c) => c.name)).toEqual(['notes', 'soft']);
    expect(model.sync.maxPageSize).toBe(1000);
  });

  it('refuses every mistake with its place', () => {
    refuse(
      { schema, collections: { notes: { hooks: hook }, ghost: {} } },
      /collections\.ghost: no such collection/,
    );
    refuse(
      { schema, collections: { notes: {} } },
      /required serverOnly field\(s\) score need a beforeWrite hook/,
    );
    refuse(
      { schema, collections: { notes: { hooks: { beforeWrite: 1 } } } },
      /hooks\.beforeWrite must be a function/,
    );
    refuse(
      { schema, collections: { notes: { hooks: { afterWrite: () => 1 } } } },
      /unknown hook "afterWrite"/,
    );
    refuse({ schema, collections: { notes: { hooks: hook, rules: { reed: true } } } }, /unknown rule "reed"/);
    refuse({ schema, collections: { notes: { hooks: hook, acl: {} } } }, /unknown setting "acl"/);
    refuse(
      { schema, collections: { notes: { hooks: hook, rules: { read: { field: 'tags', eq: 'x' } } } } },
      /notes\.read\.eq: use contains/,
    );
    refuse(
      {
        schema,
        collections: { notes: { hooks: hook }, soft: { rules: { delete: { claim: 'teams', eq: 'x' } } } },
      },
      /soft\.delete\.eq: teams takes contains or in/,
    );
    refuse({ schema: { list: [{ name: 'fake', node: {} }] } }, /defineSchema/);
    refuse({ schema, database: 'x' }, /unknown setting "database"/);
    refuse(
      { schema, collections: { notes: { hooks: hook } }, sync: { maxPageSize: 0 } },
      /sync\.maxPageSize/,
    );
  });
});

describeEachDialect('re-projection and teams', (dialect) => {
  it('re-projects stored records when a field becomes serverOnly, and devices start over', async () => {
    const database = await openTestDatabase(dialect);
    try {
      const v1 = collection('memos', { fields: { title: t.string(), secret: t.string().optional() } });
      const v2 = collection('memos', {
        fields: { title: t.string(), secret: t.string().serverOnly().optional() },
      });
      const first = await createServerContext({
        db: database.db,
        cache: database.cache,
        data: { schema: defineSchema({ version: 1, collections: [v1] }) },
      });
      const seq = 1;
      await database.db.updateTable('sync_counter').set({ seq }).execute();
      const record = { title: 'A', secret: 'kept on the server' };
      await database.db
        .insertInto('records')
        .values({
          collection: 'memos',
          id: '0b8f3c1e-6a43-4a59-9a3e-4f1d2c3b4a50',
          owner: 'u',
          version: 1,
          seq,
          created_at: 0,
          updated_at: 0,
          deleted_at: null,
          data: JSON.stringify(record),
          device: JSON.stringify(record),
          attrs: '{}',
        })
        .execute();
      expect(first.data?.model.collections.get('memos')?.storageFingerprint).toBeDefined();
      const second = await createServerContext({
        db: database.db,
        cache: database.cache,
        data: { schema: defineSchema({ version: 1, collections: [v2] }) },
      });
      const row = await database.db
        .selectFrom('records')
        .select(['device', 'data', 'attrs'])
        .executeTakeFirstOrThrow();
      expect(JSON.parse(row.device as string)).toEqual({ title: 'A' });
      expect(JSON.parse(row.data as string)).toEqual(record);
      expect(second.data?.model.syncFingerprint).not.toBe(first.data?.model.syncFingerprint);
    } finally {
      await database.dispose();
    }
  });

  describe('team routes', () => {
    let s: TestServer;
    let admin: Actor;
    let ann: Actor;
    beforeAll(async () => {
      s = await startDemoServer(dialect);
      admin = await signIn(s, 'root', await createMember(s, 'root', [], 'admin'));
      ann = await signIn(s, 'ann', await createMember(s, 'ann', []));
    });
    afterAll(async () => {
      await s.close();
    });
    afterEach(async () => {
      await s.ctx.events.flush();
    });

    it('lets an admin set teams, which apply to the next request, and logs it', async () => {
      const created = await admin.call('POST', '/data/inspections', inspection(admin.userId, 'north'));
      expect((await ann.call('GET', `/data/inspections/${created.json().id}`)).statusCode).toBe(404);
      const set = await admin.call('PUT', `/admin/users/${ann.userId}/teams`, { teams: ['south', 'north'] });
      expect(set.json()).toEqual({ teams: ['north', 'south'] });
      expect((await admin.call('GET', `/admin/users/${ann.userId}/teams`)).json()).toEqual({
        teams: ['north', 'south'],
      });
      expect((await ann.call('GET', `/data/inspections/${created.json().id}`)).statusCode).toBe(200);
      await s.ctx.events.flush();
      const events = await s.ctx.events.list({ type: 'user_teams_changed' });
      expect(events.at(-1)).toMatchObject({
        actorUserId: admin.userId,
        subject: ann.userId,
        data: { teams: ['north', 'south'] },
      });
    });

    it('refuses non-admins, unknown users and malformed lists', async () => {
      expect(
        (await ann.call('PUT', `/admin/users/${ann.userId}/teams`, { teams: ['audit'] })).json().code,
      ).toBe('forbidden');
      expect((await admin.call('PUT', '/admin/users/nobody/teams', { teams: [] })).json().code).toBe(
        'user_not_found',
      );
      for (const body of [
        {},
        { teams: 'north' },
        { teams: ['a b'] },
        { teams: ['x', 'x'] },
        { teams: [], more: 1 },
        { teams: Array.from({ length: 101 }, (_, i) => `t${i}`) },
      ]) {
        const res = await admin.call('PUT', `/admin/users/${ann.userId}/teams`, body);
        expect(res.statusCode).toBe(400);
        expect(res.json().code).toBe('invalid_request');
      }
    });
  });
});
