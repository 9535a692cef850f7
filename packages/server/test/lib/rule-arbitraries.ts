/**
 * Random rules, claims and records over one collection that exercises every kind of rule field
 * (strings with quotes, `%`, `_`, U+0000, combining marks and emoji; nulls and absent fields; edge
 * numbers), shared by the property tests of the rule language and of the record keys.
 */
import { collection, t } from '@bulwark/core/schema';
import fc from 'fast-check';
import type { Claims, Rule } from '../../src/rules/rule.js';

export const things = collection('things', {
  fields: {
    s: t.string({ maxLength: 50 }).nullable().optional(),
    e: t.enum(['a', 'b', 'c']),
    n: t.number().nullable(),
    i: t.integer().optional(),
    b: t.boolean().optional(),
    tags: t.array(t.string({ maxLength: 50 })).optional(),
    team: t.string({ maxLength: 50 }),
    secret: t.number().serverOnly().optional(),
    nested: t.object({ x: t.string() }).optional(),
  },
});

export const USERS = ['u1', 'u2', 'u3'];
const STRINGS = [
  '',
  'a',
  'A',
  'north',
  'south',
  "o'reilly",
  '%',
  '_',
  'a%',
  '\u0000',
  '\u0001',
  '\u0001\u0002',
  'x\u0000y',
  'é',
  'e\u0301',
  '😀',
  '\\',
  '"',
  'null',
  'true',
  '1',
];
const NUMBERS = [-1.5, 0, 1, 2, 3, 0.30000000000000004, 0.1, 1e21, 5e-324, -1e300, 42];

const str = fc.constantFrom(...STRINGS);
const num = fc.constantFrom(...NUMBERS);
const int = fc.constantFrom(-3, 0, 1, 2, 3, 9007199254740991);
export const claimsArb: fc.Arbitrary<Claims> = fc.record({
  userId: fc.constantFrom(...USERS),
  username: str,
  role: fc.constantFrom('admin', 'user', 'a'),
  teams: fc.uniqueArray(str, { maxLength: 4 }),
});

export const recordArb = fc.record(
  {
    s: fc.option(str, { nil: null }),
    e: fc.constantFrom('a', 'b', 'c'),
    n: fc.option(num, { nil: null }),
    i: int,
    b: fc.boolean(),
    tags: fc.array(str, { maxLength: 4 }),
    team: str,
    secret: num,
  },
  { requiredKeys: ['e', 'n', 'team'] },
);

const claimRef = (...names: ('userId' | 'username' | 'role' | 'teams')[]) =>
  fc.constantFrom(...names).map((claim) => ({ claim }));

const conditionArb: fc.Arbitrary<Rule> = fc.oneof(
  fc.record({
    field: fc.constantFrom('s', 'team', 'e', 'owner'),
    eq: fc.oneof(str, claimRef('userId', 'username', 'role')),
  }),
  fc.record({ field: fc.constantFrom('s', 'team', 'e'), ne: fc.oneof(str, fc.constant(null)) }),
  fc.record({
    field: fc.constantFrom('s', 'team', 'owner'),
    in: fc.oneof(fc.array(str, { maxLength: 3 }), claimRef('teams')),
  }),
  fc.record({ field: fc.constantFrom('n', 'i', 'secret'), eq: fc.oneof(num, int, fc.constant(null)) }),
  fc.record({
    field: fc.constantFrom('n', 'i', 'secret'),
    in: fc.array(fc.oneof(num, int), { maxLength: 3 }),
  }),
  fc
    .tuple(fc.constantFrom('n', 'i', 'secret'), fc.constantFrom('lt', 'lte', 'gt', 'gte'), fc.oneof(num, int))
    .map(([field, op, v]) => ({ field, [op]: v }) as Rule),
  fc.record({ field: fc.constant('b'), eq: fc.oneof(fc.boolean(), fc.constant(null)) }),
  fc.record({ field: fc.constant('b'), in: fc.array(fc.boolean(), { maxLength: 2 }) }),
  fc.record({ field: fc.constant('tags'), contains: fc.oneof(str, claimRef('userId', 'username')) }),
  fc.record({ claim: fc.constantFrom('role', 'username'), eq: str }),
  fc.record({ claim: fc.constant('teams'), contains: str }),
  fc.boolean(),
);

export const ruleArb: fc.Arbitrary<Rule> = fc.letrec<{ rule: Rule }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    conditionArb,
    fc.record({ all: fc.array(tie('rule'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('rule'), { maxLength: 3 }) }),
    fc.record({ not: tie('rule') }),
  ),
})).rule;
