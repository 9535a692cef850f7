/**
 * Attacks on the validator: prototype pollution, ReDoS and code generation (CSP). Each test tries
 * to break a rule; see docs/schema.md, "Security properties".
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { collection, deviceView, SchemaDefinitionError, t, validate } from '../../src/schema/index.js';
import { deviceRecord, inspections, serverRecord } from './lib/fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const coreRoot = join(here, '..', '..');
const prototypeNames = () => Object.getOwnPropertyNames(Object.prototype).sort();
const namesBefore = prototypeNames();

afterEach(() => {
  expect(prototypeNames()).toEqual(namesBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('prototype pollution', () => {
  const payloads = [
    '{"__proto__": {"polluted": 1}}',
    '{"constructor": {"prototype": {"polluted": 1}}}',
    '{"prototype": {"polluted": 1}}',
  ];

  it('refuses polluting keys at the top, in nested objects and in array items', () => {
    for (const payload of payloads) {
      const key = Object.keys(JSON.parse(payload))[0] as string;
      const top = Object.assign(JSON.parse(payload), deviceRecord());
      const nested = { ...deviceRecord(), address: Object.assign(JSON.parse(payload), { street: 's' }) };
      const inArray = {
        ...deviceRecord(),
        findings: [Object.assign(JSON.parse(payload), { note: 'n', severity: 'low' })],
      };
      for (const [input, pointer] of [
        [top, `/${key}`],
        [nested, `/address/${key}`],
        [inArray, `/findings/0/${key}`],
      ] as const) {
        const result = validate(inspections, input);
        expect(result.ok).toBe(false);
        if (!result.ok)
          expect(result.issues.map((i) => [i.code, i.pointer])).toEqual([['forbidden_key', pointer]]);
      }
    }
  });

  it('never copies a polluting key, even from the server source and through deviceView', () => {
    const input = Object.assign(JSON.parse('{"__proto__": {"polluted": 1}}'), serverRecord());
    const view = deviceView(inspections, input);
    expect(Object.getPrototypeOf(view)).toBe(Object.prototype);
    expect(Object.hasOwn(view, '__proto__')).toBe(false);
    expect((view as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns values whose prototype is Object.prototype with only declared own keys', () => {
    const result = validate(inspections, deviceRecord());
    if (!result.ok) throw new Error('expected a valid record');
    const walk = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      const proto = Object.getPrototypeOf(value);
      expect(proto === Object.prototype || proto === Array.prototype).toBe(true);
      for (const key of Object.keys(value)) {
        expect(['__proto__', 'constructor', 'prototype']).not.toContain(key);
        walk((value as Record<string, unknown>)[key]);
      }
    };
    walk(result.value);
  });

  it('does not read inherited properties: a polluted Object.prototype cannot fill a field', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.site = 'from the prototype';
    proto.riskScore = 99;
    try {
      const { site: _s, ...rest } = deviceRecord();
      const result = validate(inspections, rest);
      expect(!result.ok && result.issues.map((i) => [i.code, i.pointer])).toEqual([['required', '/site']]);
      const ok = validate(inspections, deviceRecord());
      expect(ok.ok && Object.hasOwn(ok.value, 'riskScore')).toBe(false);
      expect(Object.hasOwn(deviceView(inspections, serverRecord()), 'riskScore')).toBe(false);
    } finally {
      delete proto.site;
      delete proto.riskScore;
    }
  });

  it('does not mutate its input', () => {
    const input = Object.assign(JSON.parse('{"__proto__": {"polluted": 1}}'), serverRecord());
    const snapshot = structuredClone(input);
    const frozen = JSON.parse(JSON.stringify(deviceRecord()));
    const deepFreeze = (v: unknown): void => {
      if (typeof v === 'object' && v !== null) {
        Object.freeze(v);
        for (const child of Object.values(v)) deepFreeze(child);
      }
    };
    deepFreeze(frozen);
    validate(inspections, input);
    validate(inspections, input, { source: 'server', mode: 'patch' });
    deviceView(inspections, input);
    expect(input).toEqual(snapshot);
    expect(validate(inspections, frozen).ok).toBe(true);
  });
});

describe('resource bounds', () => {
  it('does not recurse into undeclared depth: a million nested levels cost one issue', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 1_000_000; i++) deep = { a: deep };
    const asField = validate(inspections, { ...deviceRecord(), site: deep, extra: deep });
    expect(!asField.ok && asField.issues.map((i) => [i.code, i.pointer])).toEqual([
      ['wrong_type', '/site'],
      ['unknown_field', '/extra'],
    ]);
    const asItem = validate(inspections, { ...deviceRecord(), findings: [deep] });
    expect(!asItem.ok && asItem.issues.map((i) => i.code)).toEqual(['required', 'required', 'unknown_field']);
  });

  it('bounds the work on a huge object by the issue cap', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 200_000; i++) wide[`k${i}`] = i;
    const started = performance.now();
    const result = validate(inspections, wide);
    expect(!result.ok && result.issues.length).toBe(101);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('ReDoS', () => {
  it('refuses known catastrophic patterns at declaration time, so no input ever meets them', () => {
    // (a+)+$ needs about 2^n steps on "aaaa…!" in a backtracking engine.
    for (const pattern of [/(a+)+$/, /([a-zA-Z]+)*$/, /(a|aa)+$/, /^(\d+\s?)+$/]) {
      expect(() => t.string({ maxLength: 50, pattern })).toThrow(SchemaDefinitionError);
    }
  });

  it('checks the length before running any pattern', () => {
    const c = collection('codes', {
      fields: { code: t.string({ maxLength: 20, pattern: /[A-Z]{2}[0-9]{2,18}/ }) },
    });
    const field = c.node.fields.get('code');
    if (field?.kind !== 'string' || field.pattern === undefined) throw new Error('expected a pattern field');
    const regex = field.pattern.regex;
    let runs = 0;
    const original = regex.test.bind(regex);
    regex.test = (s: string) => {
      runs++;
      return original(s);
    };
    try {
      const started = performance.now();
      const long = validate(c, { code: `AB${'1'.repeat(10_000_000)}` });
      expect(!long.ok && long.issues[0]?.code).toBe('too_long');
      expect(performance.now() - started).toBeLessThan(50);
      expect(validate(c, { code: 'AB\ud80012' }).ok).toBe(false);
      expect(runs).toBe(0);
      expect(validate(c, { code: 'AB12' }).ok).toBe(true);
      expect(runs).toBe(1);
    } finally {
      Reflect.deleteProperty(regex, 'test');
    }
  });

  it('runs allowed patterns on worst-case inputs at their maximum length in bounded time', () => {
    const cases: [RegExp, number, string][] = [
      [/\+?[0-9 ]{6,20}/, 32, `${'1 '.repeat(15)}x`],
      [/[a-z0-9]+(?:-[a-z0-9]+)*/, 10_000, `${'a-'.repeat(4999)}!`],
      [/[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,200}/, 300, `${'a'.repeat(64)}@${'b'.repeat(200)}!`],
      [/[\p{L}'-]+/u, 10_000, `${'é'.repeat(9999)}!`],
      [/[A-Za-z]+(?: [A-Za-z]+)*/, 10_000, `${'ab '.repeat(3333)}!`],
      [/[a-f0-9]{8}(?:-[a-f0-9]{4}){3}-[a-f0-9]{12}/i, 36, `${'a'.repeat(35)}!`],
    ];
    for (const [pattern, maxLength, input] of cases) {
      const c = collection('probe', { fields: { value: t.string({ maxLength, pattern }) } });
      const started = performance.now();
      const result = validate(c, { value: input.slice(0, maxLength) });
      const elapsed = performance.now() - started;
      expect(result.ok, String(pattern)).toBe(false);
      expect(elapsed, String(pattern)).toBeLessThan(50);
    }
  });
});

describe('CSP safety (no eval, no new Function)', () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
    });

  it('the schema sources contain no code generation', () => {
    const files = sources(join(coreRoot, 'src', 'schema'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(
        /\beval\s*\(|\bnew\s+Function\b|\bFunction\s*\(|setTimeout\s*\(\s*['"`]/,
      );
    }
  });

  it('declares and validates in a Node process that forbids code generation from strings', () => {
    // The same restriction a browser applies under a CSP without 'unsafe-eval'. Runs the built
    // package (the test command builds before testing).
    const entry = join(coreRoot, 'dist', 'schema', 'index.js');
    if (!existsSync(entry)) throw new Error('build first: npx tsc -b packages/core');
    const script = `
      const s = await import(${JSON.stringify(new URL(`file://${entry}`).href)});
      let evalBlocked = false;
      try { eval('1'); } catch (e) { evalBlocked = e instanceof EvalError; }
      const c = s.collection('csp', { fields: {
        code: s.t.string({ maxLength: 10, pattern: /[A-Z]{2}[0-9]{2}/ }),
        at: s.t.dateTime(), n: s.t.integer({ min: 0 }), list: s.t.array(s.t.object({ k: s.t.enum(['a']) })),
      } });
      const ok = s.validate(c, { code: 'AB12', at: '2025-01-01T00:00:00Z', n: 1, list: [{ k: 'a' }] });
      const bad = s.validate(c, JSON.parse('{"__proto__": 1, "code": "x"}'));
      console.log(JSON.stringify({ evalBlocked, ok: ok.ok, bad: bad.ok ? [] : bad.issues.map((i) => i.code) }));
    `;
    const out = execFileSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({
      evalBlocked: true,
      ok: true,
      bad: ['pattern_mismatch', 'required', 'required', 'required', 'forbidden_key'],
    });
  });
});
