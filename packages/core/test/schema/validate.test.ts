/** The validator: every reason code, modes and sources, paths, the issue cap, a fresh value. */
import { describe, expect, it } from 'vitest';
import {
  assertValid,
  collection,
  type Issue,
  ReasonCode,
  t,
  ValidationError,
  validate,
} from '../../src/schema/index.js';
import { deviceRecord, inspections, serverRecord } from './lib/fixtures.js';

function issuesOf(input: unknown, options?: Parameters<typeof validate>[2]): Issue[] {
  const result = validate(inspections, input, options);
  if (result.ok) throw new Error('expected validation to fail');
  return [...result.issues];
}

/** Asserts exactly one issue, with this code at this pointer. */
function onlyIssue(
  input: unknown,
  code: string,
  pointer: string,
  options?: Parameters<typeof validate>[2],
): Issue {
  const issues = issuesOf(input, options);
  expect(issues.map((i) => [i.code, i.pointer])).toEqual([[code, pointer]]);
  return issues[0] as Issue;
}

const rec = (patch: Record<string, unknown>) => ({ ...deviceRecord(), ...patch });
const finding = (patch: Record<string, unknown>) => ({ note: 'n', severity: 'low', ...patch });

describe('valid records', () => {
  it('accepts a device record and returns an equal, fresh value', () => {
    const input = deviceRecord();
    const result = validate(inspections, input, { mode: 'create', source: 'device' });
    expect(result).toEqual({ ok: true, value: input });
    if (!result.ok) return;
    expect(result.value).not.toBe(input);
    expect(result.value.findings).not.toBe(input.findings);
    expect(result.value.address).not.toBe(input.address);
  });

  it('accepts the full record from the server source', () => {
    const input = serverRecord();
    expect(validate(inspections, input, { source: 'server' })).toEqual({ ok: true, value: input });
  });

  it('accepts null for nullable fields and absent optional fields', () => {
    const { dueAt: _d, address: _a, ...rest } = rec({ notes: null });
    expect(validate(inspections, rest).ok).toBe(true);
  });

  it('treats an own undefined like an absent key', () => {
    expect(validate(inspections, rec({ dueAt: undefined })).ok).toBe(true);
    onlyIssue(rec({ site: undefined }), 'required', '/site');
  });

  it('reads own enumerable keys only, as JSON has them', () => {
    const { site, ...rest } = deviceRecord();
    const hidden = Object.defineProperty({ ...rest }, 'site', { value: site, enumerable: false });
    onlyIssue(hidden, 'required', '/site');
    const inherited = Object.assign(Object.create({ site }), rest);
    // Inherited from a non-Object prototype: not a plain object at all.
    onlyIssue(inherited, 'wrong_type', '');
  });
});

describe('every reason code', () => {
  it('required', () => {
    const { site: _s, ...rest } = deviceRecord();
    expect(onlyIssue(rest, ReasonCode.Required, '/site').path).toEqual(['site']);
    onlyIssue(rec({ findings: [{ severity: 'low' }] }), 'required', '/findings/0/note');
  });

  it('unknown_field, at any depth, with the offending key in the path', () => {
    onlyIssue(rec({ owner: 'mallory' }), ReasonCode.UnknownField, '/owner');
    onlyIssue(rec({ findings: [finding({ extra: 1 })] }), 'unknown_field', '/findings/0/extra');
    onlyIssue(rec({ 'a/b~c': 1 }), 'unknown_field', '/a~1b~0c');
  });

  it('forbidden_key for __proto__, constructor and prototype as own keys', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const input = JSON.parse(`{"${key}": {"polluted": 1}}`) as Record<string, unknown>;
      Object.assign(input, deviceRecord());
      onlyIssue(input, ReasonCode.ForbiddenKey, `/${key}`);
    }
  });

  it('wrong_type for every kind, naming the expected type', () => {
    expect(onlyIssue(rec({ site: 5 }), ReasonCode.WrongType, '/site').message).toBe('must be a string');
    onlyIssue(rec({ visits: '3' }), 'wrong_type', '/visits');
    onlyIssue(rec({ done: 'false' }), 'wrong_type', '/done');
    onlyIssue(rec({ dueAt: 0 }), 'wrong_type', '/dueAt');
    onlyIssue(rec({ status: ['open'] }), 'wrong_type', '/status');
    onlyIssue(rec({ findings: {} }), 'wrong_type', '/findings');
    onlyIssue(rec({ address: [] }), 'wrong_type', '/address');
    onlyIssue(rec({ address: new Date(0) }), 'wrong_type', '/address');
    onlyIssue(rec({ site: null }), 'wrong_type', '/site');
    expect(onlyIssue(rec({ notes: 1 }), 'wrong_type', '/notes').message).toBe('must be a string or null');
    onlyIssue(rec({ findings: [1] }), 'wrong_type', '/findings/0');
    // A sparse array's hole is not a value of the item type.
    const sparse: unknown[] = new Array(3);
    sparse[0] = finding({});
    sparse[2] = finding({});
    onlyIssue(rec({ findings: sparse }), 'wrong_type', '/findings/1');
  });

  it('wrong_type for a record that is not a plain object', () => {
    for (const input of [null, undefined, 1, 'x', true, [], new Map(), new (class Thing {})(), () => 1]) {
      onlyIssue(input, 'wrong_type', '');
    }
  });

  it('invalid_unicode for lone surrogates', () => {
    onlyIssue(rec({ site: 'a\ud800b' }), ReasonCode.InvalidUnicode, '/site');
    onlyIssue(rec({ site: '\udc00' }), 'invalid_unicode', '/site');
    onlyIssue(rec({ site: 'end\ud83d' }), 'invalid_unicode', '/site');
    expect(validate(inspections, rec({ site: 'emoji 😀' })).ok).toBe(true);
  });

  it('too_short and too_long, counting code points', () => {
    expect(onlyIssue(rec({ notes: 'a' }), ReasonCode.TooShort, '/notes').limit).toBe(2);
    expect(onlyIssue(rec({ notes: 'a'.repeat(11) }), ReasonCode.TooLong, '/notes').limit).toBe(10);
    // Ten astral characters are 20 UTF-16 units but ten code points: accepted.
    expect(validate(inspections, rec({ notes: '😀'.repeat(10) })).ok).toBe(true);
    onlyIssue(rec({ notes: '😀'.repeat(11) }), 'too_long', '/notes');
    onlyIssue(rec({ notes: '😀' }), 'too_short', '/notes');
    // Strings with no declared maximum still have one.
    const free = collection('free', { fields: { body: t.string() } });
    const result = validate(free, { body: 'x'.repeat(4097) });
    expect(!result.ok && result.issues[0]?.code).toBe('too_long');
  });

  it('too_small, too_large, not_finite, not_integer', () => {
    expect(onlyIssue(rec({ visits: -1 }), ReasonCode.TooSmall, '/visits').limit).toBe(0);
    onlyIssue(
      rec({ address: { street: 's', geo: { lat: 91, lng: 0 } } }),
      ReasonCode.TooLarge,
      '/address/geo/lat',
    );
    onlyIssue(rec({ visits: Number.NaN }), ReasonCode.NotFinite, '/visits');
    onlyIssue(
      rec({ address: { street: 's', geo: { lat: Number.POSITIVE_INFINITY, lng: 0 } } }),
      'not_finite',
      '/address/geo/lat',
    );
    onlyIssue(rec({ visits: 1.5 }), ReasonCode.NotInteger, '/visits');
    onlyIssue(rec({ visits: 2 ** 53 }), 'not_integer', '/visits');
    expect(validate(inspections, rec({ visits: 2 ** 53 - 1 })).ok).toBe(true);
  });

  it('pattern_mismatch (whole string), checked only within length', () => {
    onlyIssue(rec({ residentPhone: 'call me' }), ReasonCode.PatternMismatch, '/residentPhone');
    // The pattern is implicitly anchored: a matching substring is not enough.
    onlyIssue(rec({ residentPhone: 'x+44 1234567' }), 'pattern_mismatch', '/residentPhone');
    onlyIssue(rec({ residentPhone: '1'.repeat(33) }), 'too_long', '/residentPhone');
  });

  it('not_in_enum', () => {
    onlyIssue(rec({ status: 'archived' }), ReasonCode.NotInEnum, '/status');
    onlyIssue(rec({ status: 'open'.repeat(1000) }), 'not_in_enum', '/status');
    onlyIssue(rec({ status: 'toString' }), 'not_in_enum', '/status');
  });

  it('invalid_date_time under the strict RFC 3339 profile', () => {
    const good = [
      '2025-03-01T09:30:00Z',
      '2025-03-01T09:30:00.123456789+14:00',
      '2024-02-29T23:59:59-05:30',
      '2000-02-29T00:00:00Z',
      '0001-01-01T00:00:00.5Z',
    ];
    for (const dueAt of good) expect(validate(inspections, rec({ dueAt })).ok, dueAt).toBe(true);
    const bad = [
      '2025-03-01',
      '2025-03-01T09:30:00',
      '2025-03-01 09:30:00Z',
      '2025-03-01t09:30:00z',
      '2025-02-29T09:30:00Z',
      '1900-02-29T09:30:00Z',
      '2025-13-01T09:30:00Z',
      '2025-04-31T09:30:00Z',
      '2025-03-01T24:00:00Z',
      '2025-03-01T09:60:00Z',
      '2025-03-01T23:59:60Z',
      '2025-03-01T09:30:00.Z',
      '2025-03-01T09:30:00.1234567890Z',
      '2025-03-01T09:30:00+0100',
      '2025-03-01T09:30:00+24:00',
      '2025-03-01T09:30:00+01:60',
      '+2025-03-01T09:30:00Z',
      '2025-03-01T09:30:00Z ',
      '２０２５-03-01T09:30:00Z',
      `2025-03-01T09:30:00.${'1'.repeat(10_000)}Z`,
    ];
    for (const dueAt of bad) {
      expect(
        issuesOf(rec({ dueAt })).map((i) => i.code),
        dueAt,
      ).toEqual([ReasonCode.InvalidDateTime]);
    }
  });

  it('too_few_items and too_many_items (refused before items are read)', () => {
    const c = collection('lists', {
      fields: { tags: t.array(t.string({ maxLength: 3 }), { minItems: 2, maxItems: 3 }) },
    });
    const few = validate(c, { tags: ['a'] });
    expect(!few.ok && few.issues.map((i) => [i.code, i.pointer, i.limit])).toEqual([
      ['too_few_items', '/tags', 2],
    ]);
    const many = validate(c, { tags: ['a', 'b', 'c', 'd'] });
    expect(!many.ok && many.issues.map((i) => i.code)).toEqual(['too_many_items']);
    // A huge sparse array is refused by its length alone.
    const huge = validate(c, { tags: new Array(2 ** 31) });
    expect(!huge.ok && huge.issues.map((i) => i.code)).toEqual(['too_many_items']);
  });

  it('server_only when a device sends a serverOnly field, at any depth', () => {
    onlyIssue(rec({ riskScore: 1 }), ReasonCode.ServerOnly, '/riskScore');
    onlyIssue(rec({ internal: { auditor: 'x', flags: [] } }), 'server_only', '/internal');
    onlyIssue(
      rec({ findings: [finding({ reviewerComment: 'x' })] }),
      'server_only',
      '/findings/0/reviewerComment',
    );
    // Even an invalid serverOnly value is reported as server_only, never validated.
    onlyIssue(rec({ riskScore: 'high' }), 'server_only', '/riskScore');
    // The server source validates them as ordinary fields.
    const fromServer = validate(inspections, { ...serverRecord(), riskScore: 101 }, { source: 'server' });
    expect(!fromServer.ok && fromServer.issues.map((i) => i.code)).toEqual(['too_large']);
  });

  it('unreadable when a caller-built value throws while being read', () => {
    const input = rec({});
    Object.defineProperty(input, 'site', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(onlyIssue(input, ReasonCode.Unreadable, '').message).not.toContain('boom');
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    onlyIssue(revocable.proxy, 'unreadable', '');
  });

  it('too_many_issues caps the list and stops', () => {
    const input: Record<string, unknown> = deviceRecord();
    for (let i = 0; i < 10_000; i++) input[`x${i}`] = i;
    const issues = issuesOf(input);
    expect(issues).toHaveLength(101);
    expect(issues[100]).toMatchObject({ code: ReasonCode.TooManyIssues, pointer: '', limit: 100 });
    const five = issuesOf(input, { maxIssues: 5 });
    expect(five.map((i) => i.code)).toEqual([...Array(5).fill('unknown_field'), 'too_many_issues']);
    expect(issuesOf(input, { maxIssues: 1e9 })).toHaveLength(1001);
  });

  it('covers every documented reason code in this file', () => {
    expect(Object.values(ReasonCode).sort()).toEqual(
      [
        'required',
        'unknown_field',
        'forbidden_key',
        'wrong_type',
        'invalid_unicode',
        'too_short',
        'too_long',
        'too_small',
        'too_large',
        'not_finite',
        'not_integer',
        'pattern_mismatch',
        'not_in_enum',
        'invalid_date_time',
        'too_few_items',
        'too_many_items',
        'server_only',
        'unreadable',
        'too_many_issues',
      ].sort(),
    );
  });
});

describe('reporting', () => {
  it('reports every problem, not the first', () => {
    const issues = issuesOf(
      rec({
        site: 1,
        visits: -1,
        extra: true,
        findings: [finding({ severity: 'mid' }), finding({ note: 2 })],
      }),
    );
    // Declared fields in declaration order, then undeclared keys in input order.
    expect(issues.map((i) => [i.code, i.pointer])).toEqual([
      ['wrong_type', '/site'],
      ['too_small', '/visits'],
      ['not_in_enum', '/findings/0/severity'],
      ['wrong_type', '/findings/1/note'],
      ['unknown_field', '/extra'],
    ]);
    expect(issues[2]?.path).toEqual(['findings', 0, 'severity']);
  });

  it('never echoes the rejected value and cuts long unknown keys', () => {
    const secret = 'hunter2-SECRET';
    const issues = issuesOf(
      rec({ site: { secret }, status: secret, residentPhone: secret, [`k${'y'.repeat(5000)}`]: 1 }),
    );
    expect(JSON.stringify(issues)).not.toContain(secret);
    const unknown = issues.find((i) => i.code === 'unknown_field');
    expect(String(unknown?.path[0]).length).toBeLessThanOrEqual(129);
  });
});

describe('modes', () => {
  it('patch accepts any subset of top-level fields but validates what is present', () => {
    expect(validate(inspections, { status: 'closed' }, { mode: 'patch' })).toEqual({
      ok: true,
      value: { status: 'closed' },
    });
    expect(validate(inspections, {}, { mode: 'patch' }).ok).toBe(true);
    const bad = validate(inspections, { status: 'gone', riskScore: 3 }, { mode: 'patch' });
    expect(!bad.ok && bad.issues.map((i) => i.code)).toEqual(['server_only', 'not_in_enum']);
    // Nested objects in a patch are complete values: their required fields are required.
    const nested = validate(inspections, { address: {} }, { mode: 'patch' });
    expect(!nested.ok && nested.issues.map((i) => i.pointer)).toEqual(['/address/street']);
  });

  it('create from a device does not require serverOnly fields; from the server it does', () => {
    const required = collection('scored', { fields: { name: t.string(), score: t.integer().serverOnly() } });
    expect(validate(required, { name: 'a' }).ok).toBe(true);
    const server = validate(required, { name: 'a' }, { source: 'server' });
    expect(!server.ok && server.issues.map((i) => i.code)).toEqual(['required']);
  });

  it('unknown option values read as the stricter choice', () => {
    const asAny = { mode: 'PATCH', source: 'Server' } as unknown as Parameters<typeof validate>[2];
    const result = validate(inspections, { status: 'open', riskScore: 1 }, asAny);
    expect(!result.ok && result.issues.map((i) => i.code)).toContain('server_only');
    expect(!result.ok && result.issues.map((i) => i.code)).toContain('required');
  });
});

describe('assertValid', () => {
  it('returns the value or throws ValidationError with the issues', () => {
    expect(assertValid(inspections, deviceRecord())).toEqual(deviceRecord());
    try {
      assertValid(inspections, rec({ site: 1 }));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).code).toBe('validation_failed');
      expect((err as ValidationError).issues.map((i) => i.pointer)).toEqual(['/site']);
    }
  });
});
