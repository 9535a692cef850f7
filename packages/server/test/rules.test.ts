/**
 * The rule language: configuration errors with paths, and the one-semantics property. For random
 * rules, random claims and random records (strings with quotes, `%`, `_`, U+0000, combining marks
 * and emoji; nulls and absent fields; edge numbers), the records SQL selects are exactly the
 * records the in-process evaluator accepts, on SQLite and on PostgreSQL.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attrsJson, encodeAttrString, ruleFields } from '../src/rules/attrs.js';
import { compileRule } from '../src/rules/compile.js';
import { RuleError } from '../src/rules/errors.js';
import { evaluatePredicate } from '../src/rules/predicate.js';
import type { Rule } from '../src/rules/rule.js';
import { columnsOf, predicateSql } from '../src/rules/sql.js';
import { describeEachDialect, openTestDatabase, type TestDatabase } from './lib/databases.js';
import { claimsArb, recordArb, ruleArb, things, USERS } from './lib/rule-arbitraries.js';

describe('rule checks', () => {
  const bad: [unknown, string][] = [
    [{ field: 'nope', eq: 1 }, 'things.read.field'],
    [{ field: 'nested', eq: 'x' }, 'things.read.field'],
    [{ field: 'e', eq: 1 }, 'things.read.eq'],
    [{ field: 'team', lt: 3 }, 'things.read.lt'],
    [{ field: 'tags', eq: 'x' }, 'things.read.eq'],
    [{ field: 'team', in: { claim: 'userId' } }, 'things.read.in'],
    [{ field: 'team', eq: { claim: 'teams' } }, 'things.read.eq'],
    [{ field: 'team', eq: 'x', ne: 'y' }, 'things.read'],
    [{ any: [{ field: 'e', like: 'a' }] }, 'things.read.any[0]'],
    [{ claim: 'password', eq: 'x' }, 'things.read.claim'],
    [{ all: {} }, 'things.read'],
    ['owner', 'things.read'],
  ];
  it.each(bad)('refuses %j at %s', (rule, path) => {
    try {
      compileRule(rule, things, 'things.read');
    } catch (err) {
      expect(err).toBeInstanceOf(RuleError);
      expect((err as RuleError).code).toBe('rule_invalid');
      expect((err as RuleError).path).toBe(path);
      return;
    }
    throw new Error('expected a RuleError');
  });

  it('refuses claims and serverOnly fields in a client filter', () => {
    const filter = { claims: false, serverOnly: false };
    expect(() => compileRule({ field: 'secret', gt: 1 }, things, 'filter', filter)).toThrow(RuleError);
    expect(() => compileRule({ field: 'owner', eq: { claim: 'userId' } }, things, 'filter', filter)).toThrow(
      RuleError,
    );
    expect(() => compileRule({ claim: 'role', eq: 'admin' }, things, 'filter', filter)).toThrow(RuleError);
    expect(() => compileRule({ field: 'team', eq: 'x' }, things, 'filter', filter)).not.toThrow();
  });

  it('bounds the size of a rule', () => {
    let deep: Rule = true;
    for (let i = 0; i < 20; i++) deep = { not: deep };
    expect(() => compileRule(deep, things, 'r')).toThrow(/too deeply/);
    expect(() => compileRule({ any: Array.from({ length: 300 }, () => true) }, things, 'r')).toThrow(
      /too large/,
    );
  });

  it('decides claim-only rules before SQL', () => {
    const rule = compileRule(
      {
        any: [
          { claim: 'role', eq: 'admin' },
          { field: 'team', eq: 'x' },
        ],
      },
      things,
      'r',
    );
    expect(rule({ userId: 'u', username: 'u', role: 'admin', teams: [] })).toEqual({
      k: 'const',
      value: true,
    });
    expect(rule({ userId: 'u', username: 'u', role: 'user', teams: [] }).k).toBe('eq');
  });

  it('encodes attribute strings injectively and without U+0000', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(encodeAttrString(a).includes('\u0000')).toBe(false);
        expect(encodeAttrString(a) === encodeAttrString(b)).toBe(a === b);
      }),
      { numRuns: 500 },
    );
    expect(encodeAttrString('\u0001\u0002')).not.toBe(encodeAttrString('\u0000'));
  });
});

describeEachDialect('rules: SQL and in-process evaluation agree', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('selects exactly the records the evaluator accepts', async () => {
    const fields = ruleFields(things);
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...USERS), recordArb), { minLength: 1, maxLength: 12 }),
        ruleArb,
        claimsArb,
        async (records, rule, claims) => {
          const bound = compileRule(rule, things, 'r')(claims);
          const db = database.db;
          await db.deleteFrom('records').execute();
          const stored = records.map(([owner, record], index) => {
            // What a server reads back: the JSON round trip of the stored record.
            const data = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
            seq += 1;
            return {
              row: {
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
              },
              owner,
              data,
            };
          });
          await db
            .insertInto('records')
            .values(stored.map((x) => x.row))
            .execute();
          const selected = await db
            .selectFrom('records')
            .select('id')
            .where('collection', '=', 'things')
            .where(predicateSql(bound, columnsOf('records'), dialect))
            .orderBy('id')
            .execute();
          const expected = stored
            .filter((x) => evaluatePredicate(bound, { owner: x.owner, fields: x.data }))
            .map((x) => x.row.id)
            .sort();
          expect(selected.map((r) => r.id)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
    await sql`select 1`.execute(database.db);
  });
});
