/**
 * The sync and team routes are checked by their JSON schemas (compiled by the strict validator),
 * not by hand-written parsers: every rule those parsers held — lengths, patterns, ranges, unknown
 * members, no type coercion — is tried here against the schema, on both dialects, and each
 * refusal is a 400 problem with a stable code that stores nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Actor, createMember, inspection, signIn, snapshot, startDemoServer } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import type { TestServer } from './lib/harness.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

describeEachDialect('route schemas of sync and teams', (dialect) => {
  let s: TestServer;
  let ann: Actor;
  let admin: Actor;

  beforeAll(async () => {
    s = await startDemoServer(dialect);
    ann = await signIn(s, 'ann', await createMember(s, 'ann', ['north']));
    admin = await signIn(s, 'root', await createMember(s, 'root', [], 'admin'));
  });
  afterAll(async () => {
    await s.close();
  });

  /** Sends `body` (an object, or raw JSON text to keep numbers as written) and expects a 400. */
  async function refused(method: 'POST' | 'PUT', path: string, body: unknown, code = 'invalid_request') {
    const actor = path.startsWith('/admin') ? admin : ann;
    const res =
      typeof body === 'string'
        ? await actor.call(method, path, body, JSON_HEADERS)
        : await actor.call(method, path, body);
    const label = typeof body === 'string' ? body.slice(0, 120) : JSON.stringify(body).slice(0, 120);
    expect(res.statusCode, label).toBe(400);
    expect(res.headers['content-type'], label).toMatch(/^application\/problem\+json/);
    expect(res.json().code, label).toBe(code);
    return res.json() as { issues?: { path: string; code: string }[] };
  }

  it('pull: checkpoint and limit as the schema states them, nothing coerced', async () => {
    const max = s.ctx.data?.model.sync.maxPageSize ?? 0;
    expect(max).toBeGreaterThan(1);
    for (const body of [
      { checkpoint: 'x'.repeat(201) },
      { checkpoint: {} },
      { checkpoint: null, limit: max + 1 },
      { checkpoint: null, limit: '5' },
      { checkpoint: null, limit: true },
      '{"checkpoint":null,"limit":2.5}',
      '{"checkpoint":null,"limit":-1}',
      { limit: 5 },
      { checkpoint: null, Checkpoint: null },
      'null',
      '"checkpoint"',
    ]) {
      await refused('POST', '/sync/pull', body);
    }
    const issues = (await refused('POST', '/sync/pull', { checkpoint: null, limit: '5' })).issues;
    expect(issues).toEqual([expect.objectContaining({ path: '/limit', code: 'type' })]);
    expect((await ann.call('POST', '/sync/pull', { checkpoint: null, limit: max })).statusCode).toBe(200);
    expect(
      (await ann.call('POST', '/sync/pull', '{"checkpoint":null,"limit":1.0}', JSON_HEADERS)).statusCode,
    ).toBe(200);
  });

  it('push: the envelope of each mutation as the schema states it, applying nothing', async () => {
    const before = await snapshot(s);
    const max = s.ctx.data?.model.sync.maxPushMutations ?? 0;
    const good = {
      mutationId: 'ok',
      collection: 'inspections',
      id: randomUUID(),
      op: 'upsert',
      baseVersion: null,
      record: inspection(ann.userId, 'north'),
    };
    const one = (m: Record<string, unknown>) => ({ mutations: [good, { ...good, mutationId: 'm2', ...m }] });
    const cases: [unknown, string][] = [
      [one({ collection: 'c'.repeat(64) }), '/mutations/1/collection'],
      [one({ collection: 7 }), '/mutations/1/collection'],
      [one({ id: good.id.toUpperCase() }), '/mutations/1/id'],
      [one({ id: `{${good.id}}` }), '/mutations/1/id'],
      [one({ mutationId: 'm'.repeat(65) }), '/mutations/1/mutationId'],
      [one({ mutationId: '' }), '/mutations/1/mutationId'],
      [one({ baseVersion: '1' }), '/mutations/1/baseVersion'],
      [one({ baseVersion: 9007199254740992 }), '/mutations/1/baseVersion'],
      [one({ op: 'UPSERT' }), '/mutations/1/op'],
      [one({ record: [] }), '/mutations/1/record'],
      [one({ extra: 1 }), '/mutations/1'],
      [{ mutations: [good, null] }, '/mutations/1'],
      [{ mutations: { 0: good } }, '/mutations'],
      [
        { mutations: Array.from({ length: max + 1 }, (_, i) => ({ ...good, mutationId: `m${i}` })) },
        '/mutations',
      ],
    ];
    for (const [body, path] of cases) {
      const { issues } = await refused('POST', '/sync/push', body);
      expect(issues?.[0]?.path, JSON.stringify(body).slice(0, 120)).toBe(path);
    }
    await refused(
      'POST',
      '/sync/push',
      `{"mutations":[${JSON.stringify({ ...good, baseVersion: 0 }).replace('"baseVersion":0', '"baseVersion":1.5')}]}`,
    );
    // The rules that tie one member to another stay with the handler, with the same paths.
    const v1 = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    for (const [m, path] of [
      [{ id: v1 }, '/mutations/1/id'],
      [{ op: 'delete', baseVersion: 1 }, '/mutations/1/record'],
      [{ record: undefined }, '/mutations/1/record'],
    ] as const) {
      const { issues } = await refused('POST', '/sync/push', one(m));
      expect(issues).toEqual([expect.objectContaining({ path, code: 'invalid' })]);
    }
    expect(await snapshot(s)).toBe(before);
  });

  it('teams: names, count, uniqueness and members as the schema states them; order and 404 kept', async () => {
    const path = `/admin/users/${ann.userId}/teams`;
    for (const body of [
      { teams: [1] },
      { teams: ['x'.repeat(101)] },
      { teams: ['-north'] },
      { teams: ['no rth'] },
      { teams: ['north\u0000'] },
      { teams: ['north', 'north'] },
      { teams: Array.from({ length: 101 }, (_, i) => `t${i}`) },
      { teams: null },
      { team: ['north'] },
      { teams: [], extra: true },
      '[]',
    ]) {
      await refused('PUT', path, body);
    }
    // The strict JSON parser still runs before the schema: a duplicate key is invalid JSON.
    await refused('PUT', path, '{"teams":["north"],"teams":[]}', 'invalid_json');
    expect((await admin.call('GET', path)).json()).toEqual({ teams: ['north'] });

    const hundred = Array.from({ length: 100 }, (_, i) => `t${String(i).padStart(3, '0')}`).reverse();
    const set = await admin.call('PUT', path, { teams: hundred });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ teams: [...hundred].sort() });
    expect((await admin.call('PUT', path, { teams: ['south', 'north'] })).json()).toEqual({
      teams: ['north', 'south'],
    });
    // A malformed user id in the path is answered like an unknown one.
    for (const id of ['x'.repeat(65), 'a%20b']) {
      const res = await admin.call('PUT', `/admin/users/${id}/teams`, { teams: [] });
      expect([res.statusCode, res.json().code]).toEqual([404, 'user_not_found']);
    }
  });
});
