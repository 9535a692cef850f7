/**
 * Property tests of the validator and the projections over random inputs and random
 * declarations. Run counts are kept small for the shared CI machine; the seed is printed on
 * failure by fast-check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AnyCollection,
  deviceView,
  type FieldPath,
  ReasonCode,
  serverOnlyPaths,
  validate,
} from '../../src/schema/index.js';
import { anyCollection, recordOf } from './lib/arbitraries.js';
import { inspections } from './lib/fixtures.js';

const CODES = new Set<string>(Object.values(ReasonCode));
const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

function pointerOf(path: readonly (string | number)[]): string {
  return path.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Checks the result's shape: ok with a value, or well-formed issues with known codes. */
function wellFormed(result: ReturnType<typeof validate>): void {
  if (result.ok) {
    expect(typeof result.value).toBe('object');
    return;
  }
  expect(result.issues.length).toBeGreaterThan(0);
  expect(result.issues.length).toBeLessThanOrEqual(101);
  for (const issue of result.issues) {
    expect(CODES.has(issue.code)).toBe(true);
    expect(issue.pointer).toBe(pointerOf(issue.path));
  }
}

const hostileKeys = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'site',
    'findings',
    'riskScore',
    'note',
    'toString',
  ),
);

const hostile = fc.anything({
  key: hostileKeys,
  maxDepth: 4,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

describe('never throws, never mutates', () => {
  it('on arbitrary JSON (as a record, and as each field of a record)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom<'create' | 'patch'>('create', 'patch'), (value, mode) => {
        const before = JSON.stringify(value);
        wellFormed(validate(inspections, value, { mode }));
        wellFormed(validate(inspections, { site: value, findings: [value], address: value }, { mode }));
        expect(JSON.stringify(value)).toBe(before);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('on JSON.parse output with polluting keys anywhere', () => {
    const text = fc
      .jsonValue()
      .map((v) => JSON.stringify(v))
      .chain((json) =>
        fc
          .constantFrom('__proto__', 'constructor', 'prototype')
          .map((key) => `{"${key}": {"polluted": true, "inner": ${json}}, "site": ${json}}`),
      );
    fc.assert(
      fc.property(text, (json) => {
        const input: unknown = JSON.parse(json);
        const result = validate(inspections, input, { source: 'server' });
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.issues.map((i) => i.code)).toContain('forbidden_key');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(JSON.stringify(JSON.parse(json))).toBe(JSON.stringify(input));
      }),
      { numRuns: 300 },
    );
  });

  it('on arbitrary JavaScript values', () => {
    fc.assert(
      fc.property(hostile, fc.constantFrom<'device' | 'server'>('device', 'server'), (value, source) => {
        const before = fc.stringify(value);
        wellFormed(validate(inspections, value, { source }));
        wellFormed(validate(inspections, { site: value, address: value, findings: value }, { source }));
        expect(() => deviceView(inspections, value as never)).not.toThrow();
        expect(fc.stringify(value)).toBe(before);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary values against random declarations', () => {
    fc.assert(
      fc.property(anyCollection, fc.jsonValue(), hostile, (c, json, value) => {
        wellFormed(validate(c, json));
        wellFormed(validate(c, value, { mode: 'patch', source: 'server' }));
      }),
      { numRuns: 150 },
    );
  });
});

/** Values found at a path template (`*` expands to every array element). */
function valuesAt(value: unknown, segments: readonly string[]): unknown[] {
  if (segments.length === 0) return [value];
  const [head, ...rest] = segments;
  if (head === '*') return Array.isArray(value) ? value.flatMap((v) => valuesAt(v, rest)) : [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.hasOwn(value, head as string)
    ? valuesAt((value as Record<string, unknown>)[head as string], rest)
    : [];
}

const withRecord = (source: 'device' | 'server') =>
  anyCollection.chain((c) =>
    recordOf(c, source).map((record) => [c, record] as [AnyCollection, Record<string, unknown>]),
  );

describe('valid records', () => {
  it('a valid device record passes, equals its input and survives a JSON round trip', () => {
    fc.assert(
      fc.property(withRecord('device'), ([c, record]) => {
        const result = validate(c, record, { source: 'device' });
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        expect(result.value).toEqual(record);
        expect(result.value).not.toBe(record);
        const wire = JSON.parse(JSON.stringify(record));
        const again = validate(c, wire);
        expect(again.ok && JSON.stringify(again.value)).toBe(JSON.stringify(record));
      }),
      { numRuns: 200 },
    );
  });

  it('a valid server record passes from the server, and from a device exactly when it holds no serverOnly value', () => {
    fc.assert(
      fc.property(withRecord('server'), ([c, record]) => {
        const server = validate(c, record, { source: 'server' });
        if (!server.ok) throw new Error(JSON.stringify(server.issues));
        expect(server.value).toEqual(record);
        const present = serverOnlyPaths(c).flatMap((p: FieldPath) => valuesAt(record, p.segments)).length;
        const device = validate(c, record, { source: 'device', maxIssues: 1000 });
        if (present === 0) expect(device.ok).toBe(true);
        else expect(!device.ok && device.issues.filter((i) => i.code === 'server_only').length).toBe(present);
      }),
      { numRuns: 200 },
    );
  });

  it('deviceView never contains a serverOnly path and is a valid device record', () => {
    fc.assert(
      fc.property(withRecord('server'), ([c, record]) => {
        const view = deviceView(c, record);
        for (const path of serverOnlyPaths(c)) expect(valuesAt(view, path.segments)).toEqual([]);
        const result = validate(c, view, { source: 'device' });
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        expect(result.value).toEqual(view);
        // Projecting twice changes nothing.
        expect(deviceView(c, view as never)).toEqual(view);
      }),
      { numRuns: 200 },
    );
  });

  it('adding an undeclared key anywhere is reported at that key', () => {
    fc.assert(
      fc.property(withRecord('device'), fc.string({ minLength: 1, maxLength: 8 }), ([c, record], suffix) => {
        const key = `zz${suffix}`;
        const result = validate(c, { ...record, [key]: 1 });
        expect(!result.ok && result.issues.map((i) => [i.code, i.path])).toEqual([['unknown_field', [key]]]);
      }),
      { numRuns: 100 },
    );
  });
});
