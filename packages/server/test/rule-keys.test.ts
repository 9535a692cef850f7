/**
 * Record keys (rules/keys.ts): the index-served path returns exactly what the full evaluation
 * does. For random rules, records and callers, on SQLite and PostgreSQL: (1) every record the
 * evaluator accepts holds a key of the rule's cover, and reading through the keys plus the SQL
 * rule selects exactly the accepted records; (2) through real writes (creates, updates that move
 * records in and out of sight, deletes), a device that pulls page by page, then again from its
 * checkpoint, ends up holding exactly the records it may see, at their latest version — whether
 * the pull went through the keys or scanned.
 */
import { randomUUID } from 'node:crypto';
import { defineSchema } from '@bulwark/core/schema';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectionModel } from '../src/config/model.js';
import { resolveDataModel } from '../src/config/model.js';
import { createServerContext, type ServerContext } from '../src/context.js';
import { type ListCursor, listVisible } from '../src/data/read.js';
import { rebuildChangedKeys } from '../src/data/reproject.js';
import { keyRows } from '../src/data/store.js';
import { createRecord, deleteRecord, updateRecord, WriteBatch, type WriteScope } from '../src/data/write.js';
import { attrsJson, ruleFields } from '../src/rules/attrs.js';
import { compileRule } from '../src/rules/compile.js';
import { coverOf, keyValue, recordKeys } from '../src/rules/keys.js';
import { evaluatePredicate } from '../src/rules/predicate.js';
import type { Claims, Rule } from '../src/rules/rule.js';
import { columnsOf, predicateSql } from '../src/rules/sql.js';
import { CheckpointCodec } from '../src/sync/checkpoint.js';
import { pull } from '../src/sync/pull.js';
import { describeEachDialect, openTestDatabase, type TestDatabase } from './lib/databases.js';
import { claimsArb, recordArb, ruleArb, things, USERS } from './lib/rule-arbitraries.js';

const schema = defineSchema({ version: 1, collections: [things] });

function modelOf(rule: Rule, indexes: readonly string[] = []): CollectionModel {
  const model = resolveDataModel({
    schema,
    collections: { things: { rules: { read: rule, write: true }, indexes: indexes as never } },
  }).collections.get('things');
  if (model === undefined) throw new Error('no model');
  return model;
}

// Rules the keys serve (as apps write them), mixed with any rule at all.
const servedArb: fc.Arbitrary<Rule> = fc
  .subarray<Rule>(
    [
      { field: 'owner', eq: { claim: 'userId' } },
      { field: 'team', in: { claim: 'teams' } },
      { field: 'tags', contains: { claim: 'userId' } },
      { field: 's', eq: 'north' },
    ],
    { minLength: 1 },
  )
  .map((any) => ({ any }));

describe('record keys', () => {
  it('stores long values as a hash and equal strings as equal keys', () => {
    expect(keyValue('north')).toBe('=north');
    expect(keyValue('x'.repeat(500))).toMatch(/^#[A-Za-z0-9_-]{43}$/);
    expect(keyValue('a\u0000')).not.toBe(keyValue('a\u0001\u0002'));
    expect(recordKeys('u1', { tags: ['a', 'a', 1] }, ['tags', 'owner'])).toEqual([
      { field: 'tags', value: '=a' },
      { field: 'owner', value: '=u1' },
    ]);
  });

  it('serves the usual rules and refuses to serve what it cannot', () => {
    const keys = new Set(['owner', 'team', 'tags']);
    const claims: Claims = { userId: 'u1', username: 'u1', role: 'user', teams: ['north', 'south'] };
    const rule = (r: Rule) => compileRule(r, things, 'r')(claims);
    expect(
      coverOf(
        rule({
          any: [
            { field: 'owner', eq: { claim: 'userId' } },
            { field: 'team', in: { claim: 'teams' } },
          ],
        }),
        keys,
      ),
    ).toEqual([
      { field: 'owner', value: '=u1' },
      { field: 'team', value: '=north' },
      { field: 'team', value: '=south' },
    ]);
    expect(coverOf(rule({ field: 'n', lt: 3 }), keys)).toBeUndefined();
    expect(coverOf(rule({ not: { field: 'team', eq: 'x' } }), keys)).toBeUndefined();
    expect(
      coverOf(
        rule({
          any: [
            { field: 'team', eq: 'x' },
            { field: 'n', lt: 3 },
          ],
        }),
        keys,
      ),
    ).toBeUndefined();
    expect(
      coverOf(
        rule({
          all: [
            { field: 'team', eq: 'x' },
            { field: 'n', lt: 3 },
          ],
        }),
        keys,
      ),
    ).toEqual([{ field: 'team', value: '=x' }]);
    expect(coverOf(rule(false), keys)).toEqual([]);
  });

  it('derives key fields from the read rule and the declared indexes, and checks the latter', () => {
    expect(
      modelOf({
        any: [
          { field: 'team', eq: 'x' },
          { field: 'owner', eq: { claim: 'userId' } },
        ],
      }).keyFields,
    ).toEqual(['owner', 'team']);
    expect(modelOf(true, ['s', 'tags']).keyFields).toEqual(['s', 'tags']);
    expect(() => modelOf(true, ['n'])).toThrow(/indexes\[0\]/);
    expect(() => modelOf(true, ['nope'])).toThrow(/indexes\[0\]/);
  });
});

describeEachDialect('record keys select what the rule selects', (dialect) => {
  let database: TestDatabase;
  let ctx: ServerContext;
  let codec: CheckpointCodec;
  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    ctx = await createServerContext({ db: database.db, cache: database.cache });
    codec = await CheckpointCodec.load(database.db);
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('covers every accepted record, and keys plus SQL select exactly the accepted ones', async () => {
    const fields = ruleFields(things);
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...USERS), recordArb), { minLength: 1, maxLength: 12 }),
        fc.oneof(servedArb, ruleArb),
        claimsArb,
        fc.subarray(['s', 'team', 'e', 'tags']),
        async (records, rule, claims, indexes) => {
          const model = modelOf(rule, indexes);
          const bound = model.read(claims);
          const db = database.db;
          await db.deleteFrom('records').execute();
          await db.deleteFrom('record_keys').execute();
          const stored = records.map(([owner, record], index) => {
            const data = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
            seq += 1;
            const row = {
              collection: 'things',
              id: `r${index}`,
              owner,
              version: 1,
              seq,
              created_at: 0,
              updated_at: 0,
              deleted_at: null,
              data: JSON.stringify(data),
              device: '{}',
              attrs: attrsJson(data, fields),
            };
            return { row, owner, data, keys: keyRows(model, seq, owner, data) };
          });
          await db
            .insertInto('records')
            .values(stored.map((x) => x.row))
            .execute();
          const keys = stored.flatMap((x) => x.keys);
          if (keys.length > 0) await db.insertInto('record_keys').values(keys).execute();
          const expected = stored
            .filter((x) => evaluatePredicate(bound, { owner: x.owner, fields: x.data }))
            .map((x) => x.row.id)
            .sort();
          // The data API's list, page by page, through the keys when they serve the rule.
          const listed: string[] = [];
          let after: ListCursor | undefined;
          for (let pages = 0; pages < 20; pages++) {
            const page = await listVisible(ctx, model, claims, { limit: 5, after });
            listed.push(...page.records.map((r) => r.id));
            after = page.next;
            if (after === undefined) break;
          }
          expect(listed).toEqual(expected);
          const cover = coverOf(bound, new Set(model.keyFields));
          if (cover === undefined) return;
          const coverIds = new Set(cover.map((k) => `${k.field}\u0000${k.value}`));
          for (const x of stored) {
            if (!expected.includes(x.row.id)) continue;
            expect(x.keys.some((k) => coverIds.has(`${k.field}\u0000${k.value}`))).toBe(true);
          }
          if (cover.length === 0) {
            expect(expected).toEqual([]);
            return;
          }
          const selected = await db
            .selectFrom('records')
            .select('id')
            .where('collection', '=', 'things')
            .where('seq', 'in', (eb) =>
              eb
                .selectFrom('record_keys')
                .select('record_keys.seq')
                .where((k) =>
                  k.or(
                    cover.map((c) =>
                      k.and([k('record_keys.field', '=', c.field), k('record_keys.value', '=', c.value)]),
                    ),
                  ),
                ),
            )
            .where(predicateSql(bound, columnsOf('records'), dialect))
            .orderBy('id')
            .execute();
          expect(selected.map((r) => r.id)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a device pulling through the keys holds exactly what it may see, after creates, moves and deletes', async () => {
    const opArb = fc.record({
      actor: fc.constantFrom(...USERS),
      // An update that keeps every key field (only the sequence of its keys moves).
      keep: fc.boolean(),
      kind: fc.constantFrom('create', 'create', 'update', 'update', 'delete'),
      target: fc.nat({ max: 30 }),
      record: recordArb.map(({ secret: _secret, ...rest }) => rest),
    });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(servedArb, ruleArb),
        claimsArb,
        fc.array(opArb, { minLength: 1, maxLength: 16 }),
        fc.array(opArb, { maxLength: 10 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (rule, claims, before, after, limit, batched) => {
          round += 1;
          const db = database.db;
          for (const table of ['records', 'record_keys', 'sync_notices', 'sync_mutations'] as const) {
            await db.deleteFrom(table).execute();
          }
          const model = modelOf(rule);
          // Writers may see everything, so that updates and deletes of any record apply; keys and
          // notices follow the reader's rule, as on a server.
          const writer: CollectionModel = { ...model, read: compileRule(true, things, 'w') };
          const ids: string[] = [];
          const last = new Map<string, Record<string, unknown>>();
          // Each op on its own (the data API), or all in one batch (a sync push request).
          const applyEach = async (ops: typeof before, batch: WriteBatch | undefined) => {
            for (const op of ops) {
              const scope: WriteScope = {
                ctx,
                model: writer,
                claims: { userId: op.actor, username: op.actor, role: 'user', teams: [] },
                deviceId: `d-${op.actor}`,
                ...(batch === undefined ? {} : { batch }),
              };
              const id = ids[op.target % Math.max(ids.length, 1)];
              if (op.kind === 'create' || id === undefined) {
                const proposed = batch === undefined ? undefined : randomUUID();
                if (proposed !== undefined) await batch?.lookUpFree('things', [proposed]);
                const outcome = await createRecord(scope, op.record, proposed);
                if (outcome.kind === 'applied') {
                  ids.push(outcome.record.id);
                  last.set(outcome.record.id, op.record);
                }
              } else if (op.kind === 'update') {
                const body: Record<string, unknown> = { ...op.record };
                const previous = last.get(id);
                if (op.keep && previous !== undefined) {
                  for (const f of ['s', 'team', 'e', 'tags']) {
                    if (Object.hasOwn(previous, f)) body[f] = previous[f];
                    else delete body[f];
                  }
                }
                const outcome = await updateRecord(scope, id, body, { mode: 'replace' });
                if (outcome.kind === 'applied') last.set(id, body);
              } else {
                await deleteRecord(scope, id);
              }
            }
          };
          const apply = async (ops: typeof before) => {
            if (!batched) return applyEach(ops, undefined);
            await db.transaction().execute(async (trx) => {
              const batch = await WriteBatch.start(trx);
              await applyEach(ops, batch);
              await batch.finish();
            });
          };
          const held = new Map<string, number>();
          const deviceId = `00000000-0000-4000-8000-${String(round).padStart(12, '0')}`;
          let checkpoint: string | null = null;
          const sync = async () => {
            for (let pages = 0; pages < 200; pages++) {
              const text: string = await pull(
                { ctx, model: { ...resolveModel(model) }, codec, claims, deviceId },
                { checkpoint, limit },
              );
              const page = JSON.parse(text) as {
                changes: { id: string; version?: number; removed?: boolean }[];
                checkpoint: string;
                hasMore: boolean;
                reset?: boolean;
              };
              if (page.reset === true) held.clear();
              const seen = new Set<string>();
              for (const c of page.changes) {
                expect(seen.has(c.id)).toBe(false);
                seen.add(c.id);
                if (c.removed === true) held.delete(c.id);
                else held.set(c.id, c.version as number);
              }
              checkpoint = page.checkpoint;
              if (!page.hasMore) return;
            }
            throw new Error('pull did not end');
          };
          await apply(before);
          await sync();
          await apply(after);
          await sync();
          const rows = await db
            .selectFrom('records')
            .select(['id', 'owner', 'version', 'data', 'seq'])
            .where('deleted_at', 'is', null)
            .execute();
          // The keys are exactly those of the live records, at their current sequence numbers.
          const keyText = (k: { field: string; value: string; seq: number }) =>
            `${Number(k.seq)} ${k.field} ${k.value}`;
          const wantKeys = rows
            .flatMap((r) =>
              keyRows(model, Number(r.seq), r.owner, JSON.parse(r.data ?? '{}') as Record<string, unknown>),
            )
            .map(keyText)
            .sort();
          const haveKeys = (await db.selectFrom('record_keys').select(['field', 'value', 'seq']).execute())
            .map(keyText)
            .sort();
          expect(haveKeys).toEqual(wantKeys);
          const expected = new Map(
            rows
              .filter((r) =>
                evaluatePredicate(model.read(claims), {
                  owner: r.owner,
                  fields: JSON.parse(r.data ?? '{}') as Record<string, unknown>,
                }),
              )
              .map((r) => [r.id, Number(r.version)]),
          );
          expect(new Map([...held].sort())).toEqual(new Map([...expected].sort()));
        },
      ),
      { numRuns: dialect === 'sqlite' ? 60 : 30 },
    );
    await sql`select 1`.execute(database.db);
  });

  it('rebuilds the keys at start-up when the key fields change (or on the upgrade that adds them)', async () => {
    const db = database.db;
    for (const table of ['records', 'record_keys', 'sync_notices'] as const)
      await db.deleteFrom(table).execute();
    const model = modelOf({ field: 'team', eq: 'north' });
    const scope: WriteScope = {
      ctx,
      model,
      claims: { userId: 'u1', username: 'u1', role: 'user', teams: [] },
      deviceId: 'd1',
    };
    for (const team of ['north', 'south', 'north']) {
      await createRecord(scope, { e: 'a', n: 1, team, tags: ['x'] });
    }
    const keysNow = () =>
      db
        .selectFrom('record_keys')
        .select(['field', 'value', 'seq'])
        .orderBy('seq')
        .orderBy('field')
        .execute();
    const written = await keysNow();
    expect(written.map((k) => k.value)).toEqual(['=north', '=south', '=north']);
    const data = resolveDataModel({
      schema,
      collections: {
        things: { rules: { read: { field: 'team', eq: 'north' }, write: true }, indexes: ['tags'] },
      },
    });
    expect(await rebuildChangedKeys(db, data)).toEqual({ things: 3 });
    expect((await keysNow()).map((k) => `${k.field}${k.value}`)).toEqual([
      'tags=x',
      'team=north',
      'tags=x',
      'team=south',
      'tags=x',
      'team=north',
    ]);
    expect(await rebuildChangedKeys(db, data)).toEqual({});
  });

  function resolveModel(model: CollectionModel) {
    return {
      schema,
      collections: new Map([['things', model]]),
      offline: [model],
      syncFingerprint: model.syncFingerprint,
      sync: {
        defaultPageSize: 200,
        maxPageSize: 1000,
        maxPushMutations: 200,
        mutationRetentionSeconds: 604800,
      },
    };
  }
});
