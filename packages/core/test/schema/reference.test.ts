/**
 * The compiled validator against the one it replaced (lib/reference-validate.ts), on random
 * declarations and on valid, mutated and hostile inputs: the outcome must be identical — the same
 * value with the same keys in the same order, or the same issues in the same order with the same
 * codes, paths, pointers, messages and limits. The hand-written helpers it now relies on (the
 * date-time check, the well-formedness fast path) are held to their references the same way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AnyCollection,
  type AnyField,
  collection,
  t,
  type ValidateOptions,
  validate,
} from '../../src/schema/index.js';
import { isWellFormed, isWellFormedByScan } from '../../src/schema/lib/code-points.js';
import { isDateTime } from '../../src/schema/lib/date-time.js';
import { anyCollection, recordOf } from './lib/arbitraries.js';
import { deviceRecord, inspections } from './lib/fixtures.js';
import {
  referenceCodePointLength,
  referenceIsDateTime,
  referenceValidate,
} from './lib/reference-validate.js';

/** A value as a tree that `toEqual` compares strictly: key order, prototypes, holes and -0 included. */
function shape(value: unknown): unknown {
  if (typeof value === 'number') return ['number', Object.is(value, -0) ? '-0' : String(value)];
  if (typeof value !== 'object' || value === null) return [typeof value, value];
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (let i = 0; i < value.length; i++) items.push(i in value ? shape(value[i]) : ['hole']);
    return ['array', Object.getPrototypeOf(value) === Array.prototype, items];
  }
  return [
    'object',
    Object.getPrototypeOf(value) === Object.prototype,
    Reflect.ownKeys(value).map((k) => [String(k), shape((value as Record<PropertyKey, unknown>)[k])]),
  ];
}

function outcome(result: ReturnType<typeof referenceValidate>): unknown {
  if (result.ok) return ['ok', shape(result.value)];
  return [
    'issues',
    result.issues.map((i) => [Reflect.ownKeys(i), i.code, [...i.path], i.pointer, i.message, i.limit]),
  ];
}

/** Asserts that both validators give the same outcome for this input and these options. */
function same(c: AnyCollection, input: unknown, options?: ValidateOptions): void {
  const expected = outcome(referenceValidate(c, input, options));
  expect(outcome(validate(c, input, options))).toEqual(expected);
}

const units = fc.oneof(
  fc.constantFrom('a', 'Z', '1', ' ', '-', 'é', '—', '😀', '\ud800', '\udc00', '\udbff'),
  fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
);
const oddString = fc.string({ unit: units, maxLength: 24 });

/** Values to put where a valid one was: wrong types, edge numbers, awkward strings, odd objects. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    true,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    2 ** 53,
    -(2 ** 53 - 1),
    1.5,
    -1,
    1001,
    '',
    'open',
    'draft',
    '2025-03-01T09:30:00Z',
    '2024-02-30T00:00:00Z',
    '+44 20 7946 0000',
    'a'.repeat(70),
  ),
  oddString,
  fc.anything({
    maxDepth: 2,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withNullPrototype: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
  }),
);

const OPS = [
  'set',
  'delete',
  'undefined',
  'unknown',
  'forbidden',
  'hidden',
  'symbol',
  'getter',
  'inherit',
  'nullProto',
  'reorder',
  'grow',
] as const;

interface Mutation {
  readonly steps: readonly number[];
  readonly op: (typeof OPS)[number];
  readonly pick: number;
  readonly value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  steps: fc.array(fc.nat(9), { maxLength: 4 }),
  op: fc.constantFrom(...OPS),
  pick: fc.nat(99),
  value: oddValue,
});

type Container = Record<PropertyKey, unknown>;

/** Applies one mutation somewhere in `root` (a fresh copy): walks `steps` down, then changes a key. */
function mutate(root: Container, m: Mutation): void {
  let container = root;
  for (const step of m.steps) {
    const children = Object.keys(container).filter((k) => {
      const v = container[k];
      return typeof v === 'object' && v !== null;
    });
    if (children.length === 0) break;
    container = container[children[step % children.length] as string] as Container;
  }
  const keys = Object.keys(container);
  const key = keys.length === 0 ? 'zz' : (keys[m.pick % keys.length] as string);
  const isArray = Array.isArray(container);
  switch (m.op) {
    case 'set':
      container[key] = m.value;
      break;
    case 'delete':
      delete container[key];
      break;
    case 'undefined':
      container[key] = undefined;
      break;
    case 'unknown':
      container[`zz${m.pick}`] = m.value;
      break;
    case 'forbidden':
      Object.defineProperty(container, ['__proto__', 'constructor', 'prototype'][m.pick % 3] as string, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      break;
    case 'hidden':
      if (Object.hasOwn(container, key)) Object.defineProperty(container, key, { enumerable: false });
      break;
    case 'symbol':
      container[Symbol('extra')] = m.value;
      break;
    case 'getter': {
      const v = container[key];
      Object.defineProperty(container, key, { get: () => v, enumerable: true, configurable: true });
      break;
    }
    case 'inherit': {
      // The key moves to a prototype whose own prototype is null: still a plain object, and the
      // inherited value must not fill the field.
      if (isArray) break;
      const v = container[key];
      delete container[key];
      Object.setPrototypeOf(container, Object.assign(Object.create(null), { [key]: v }));
      break;
    }
    case 'nullProto':
      if (!isArray) Object.setPrototypeOf(container, null);
      break;
    case 'reorder': {
      const v = container[key];
      delete container[key];
      container[key] = v;
      break;
    }
    case 'grow':
      // On an array, a hole at the end; on an object, one more unknown key.
      if (isArray) (container as unknown as unknown[]).length += 1;
      else container[`k${m.pick}`] = m.value;
      break;
  }
}

const options: fc.Arbitrary<ValidateOptions | undefined> = fc.option(
  fc
    .record(
      {
        mode: fc.constantFrom('create', 'patch', 'PATCH'),
        source: fc.constantFrom('device', 'server', 'Server'),
        maxIssues: fc.constantFrom(1, 2, 3, 7, 100, 0, -1, 2.5, 1e9),
      },
      { requiredKeys: [] },
    )
    .map((o) => o as ValidateOptions),
  { nil: undefined },
);

/** A record of `c` (as a device or the server would send it), then a few mutations. */
function inputsOf(c: AnyCollection): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      fc.constantFrom<'device' | 'server'>('device', 'server').chain((source) => recordOf(c, source)),
      fc.array(mutation, { maxLength: 4 }),
    )
    .map(([record, mutations]) => {
      const input = structuredClone(record) as Container;
      for (const m of mutations) {
        try {
          mutate(input, m);
        } catch {
          // The walk reached a value an earlier mutation put there (a frozen or exotic object)
          // that refuses this change: the input simply keeps that value.
        }
      }
      return input;
    });
}

/** More fields than one presence bit set holds (31), one of them serverOnly and required. */
const wide = collection('wide', {
  fields: Object.fromEntries(
    Array.from({ length: 40 }, (_, i): [string, AnyField] => {
      const kinds: AnyField[] = [
        t.string({ maxLength: 8 }),
        t.integer({ min: 0, max: 9 }).optional(),
        t.boolean().nullable(),
        t.dateTime().optional(),
        t.object({ a: t.string({ minLength: 1, maxLength: 3 }) }).optional(),
      ];
      const field = kinds[i % kinds.length] as AnyField;
      return [`f${i}`, i === 38 ? field.serverOnly() : field];
    }),
  ),
});

describe('the compiled validator gives exactly what the previous one gave', () => {
  it('on random declarations, with valid and mutated records and any options', () => {
    const scenario = anyCollection.chain((c) => fc.tuple(fc.constant(c), inputsOf(c), options));
    fc.assert(
      fc.property(scenario, ([c, input, o]) => same(c, input, o)),
      { numRuns: 250 },
    );
  });

  it('on the documented inspections (patterns, nested classes) and on a 40-field declaration', () => {
    for (const c of [inspections, wide] as AnyCollection[]) {
      fc.assert(
        fc.property(inputsOf(c), options, (input, o) => same(c, input, o)),
        { numRuns: 250 },
      );
    }
  });

  it('on arbitrary values, as a record and in place of each field', () => {
    fc.assert(
      fc.property(oddValue, options, (value, o) => {
        same(inspections, value, o);
        const fields = Object.fromEntries(inspections.node.keys.map((k) => [k, value]));
        same(inspections, fields, o);
      }),
      { numRuns: 300 },
    );
  });

  it('on strings of every length class against random length limits', () => {
    const limits = fc
      .tuple(fc.nat(8), fc.nat(8))
      .map(([min, extra]) =>
        collection('texts', { fields: { s: t.string({ minLength: min, maxLength: min + extra }) } }),
      );
    fc.assert(
      fc.property(limits, oddString, (c, s) => same(c, { s })),
      { numRuns: 500 },
    );
  });

  it('with an enumerable key planted on Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    const scenario = anyCollection.chain((c) =>
      fc.tuple(fc.constant(c), inputsOf(c), fc.constantFrom('alpha', 'beta', 'gamma', 'zz'), oddValue),
    );
    fc.assert(
      fc.property(scenario, ([c, input, key, value]) => {
        proto[key] = value;
        try {
          same(c, input);
          same(c, input, { mode: 'patch', source: 'server' });
        } finally {
          delete proto[key];
        }
      }),
      { numRuns: 60 },
    );
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('reads getters in the same order, and stops reading at the issue cap', () => {
    const c = collection('order', {
      fields: { a: t.integer(), b: t.integer(), c: t.integer(), d: t.integer() },
    });
    const build = (reads: string[]) => {
      const input: Record<string, unknown> = {};
      for (const [key, value] of [
        ['a', 'x'],
        ['b', 'y'],
        ['c', 3],
      ] as const) {
        Object.defineProperty(input, key, {
          enumerable: true,
          get() {
            reads.push(key);
            return value;
          },
        });
      }
      Object.defineProperty(input, 'd', {
        enumerable: true,
        get() {
          reads.push('d');
          throw new Error('unreadable');
        },
      });
      Object.defineProperty(input, 'extra', {
        enumerable: true,
        get() {
          reads.push('extra');
          throw new Error('never read');
        },
      });
      return input;
    };
    for (const o of [{ maxIssues: 1 }, { maxIssues: 2 }, { maxIssues: 3 }, undefined]) {
      const before: string[] = [];
      const after: string[] = [];
      const expected = outcome(referenceValidate(c, build(before), o));
      expect(outcome(validate(c, build(after), o))).toEqual(expected);
      expect(after).toEqual(before);
    }
  });

  it('on proxies and frozen values', () => {
    const record = deviceRecord();
    same(inspections, new Proxy(record, {}));
    same(inspections, { ...record, findings: new Proxy(record.findings, {}) });
    const frozen = Object.freeze({ ...record, address: Object.freeze({ street: 's' }) });
    same(inspections, frozen);
  });

  it('switching between declarations, including nodes shared by two of them', () => {
    const shared = t.object({ n: t.integer({ min: 0 }) });
    const one = collection('one', { fields: { x: shared, y: t.string({ maxLength: 2 }) } });
    const two = collection('two', { fields: { x: shared.optional(), z: t.array(shared) } });
    for (let i = 0; i < 3; i++) {
      same(one, { x: { n: 1 }, y: 'ab' });
      same(two, { z: [{ n: 2 }, { n: -1 }] });
      same(one, { x: { n: -1 }, y: 'abc' });
      same(two, { x: { n: 1 }, z: [] });
    }
  });
});

describe('helpers against their references', () => {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  /** Date-times built from parts, each a little past its valid range, with or without a fraction. */
  const built = fc
    .record({
      y: fc.integer({ min: 0, max: 9999 }),
      mo: fc.integer({ min: 0, max: 13 }),
      d: fc.integer({ min: 0, max: 32 }),
      h: fc.integer({ min: 0, max: 25 }),
      mi: fc.integer({ min: 0, max: 61 }),
      s: fc.integer({ min: 0, max: 61 }),
      fraction: fc.oneof(fc.constant(''), fc.stringMatching(/^\.[0-9]{0,11}$/)),
      zone: fc.oneof(
        fc.constantFrom('Z', 'z', '', '+0100', '+01:00:00'),
        fc
          .tuple(
            fc.constantFrom('+', '-', '±'),
            fc.integer({ min: 0, max: 25 }),
            fc.integer({ min: 0, max: 61 }),
          )
          .map(([sign, oh, om]) => `${sign}${pad(oh, 2)}:${pad(om, 2)}`),
      ),
    })
    .map(
      (p) =>
        `${pad(p.y, 4)}-${pad(p.mo, 2)}-${pad(p.d, 2)}T${pad(p.h, 2)}:${pad(p.mi, 2)}:${pad(p.s, 2)}${p.fraction}${p.zone}`,
    );
  const chars = fc.constantFrom(...'0123456789-:.TZtz+ '.split(''), '٣', '\u0000', 'é', '😀');
  /** A built date-time with a few characters replaced, inserted or removed. */
  const edited = fc
    .tuple(
      built,
      fc.array(fc.record({ at: fc.nat(40), op: fc.constantFrom('replace', 'insert', 'delete'), ch: chars }), {
        maxLength: 3,
      }),
    )
    .map(([s, edits]) => {
      let out = s;
      for (const { at, op, ch } of edits) {
        const i = at % (out.length + 1);
        if (op === 'replace') out = out.slice(0, i) + ch + out.slice(i + 1);
        else if (op === 'insert') out = out.slice(0, i) + ch + out.slice(i);
        else out = out.slice(0, i) + out.slice(i + 1);
      }
      return out;
    });

  it('isDateTime accepts exactly what the previous check accepted', () => {
    fc.assert(
      fc.property(
        fc.oneof(built, edited, fc.string({ unit: chars, minLength: 18, maxLength: 37 }), fc.string()),
        (s) => {
          expect(isDateTime(s)).toBe(referenceIsDateTime(s));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('the native well-formedness check and the scan agree with the code-point count', () => {
    fc.assert(
      fc.property(fc.string({ unit: units, maxLength: 40 }), (s) => {
        const expected = referenceCodePointLength(s) !== -1;
        expect(isWellFormed(s)).toBe(expected);
        expect(isWellFormedByScan(s)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});
