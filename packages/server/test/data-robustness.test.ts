/**
 * Generated bodies against the data API. 10,000 bodies on SQLite and 1,000 on PostgreSQL (the
 * HTTP and validation path is the same; the database only sees what passes): wrong types, extra,
 * system and serverOnly fields, huge strings, deep nesting, `__proto__` and `constructor` keys,
 * duplicate keys in the raw JSON text, random JSON and non-JSON. Every answer is a 4xx
 * problem+json with a stable code, never a 5xx; nothing is stored; `Object.prototype` is
 * untouched. Valid records full of SQL-injection strings are stored and returned verbatim.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Actor, createMember, inspection, signIn, snapshot, startDemoServer } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import type { TestServer } from './lib/harness.js';

const RUNS = { sqlite: 10_000, postgres: 1_000 } as const;
const CODES = new Set([
  'validation_failed',
  'invalid_json',
  'payload_too_large',
  'unsupported_media_type',
  'forbidden',
]);

const INJECTIONS = [
  "'; DROP TABLE records; --",
  '" OR 1=1 --',
  "' OR '1'='1",
  '1; DELETE FROM users',
  "Robert'); DROP TABLE students;--",
  '$1',
  '?',
  '\\',
  "\\'",
  '%',
  '_',
  '/* */',
  '$.owner',
  "json_extract(data, '$.x')",
  '{"$gt": ""}',
  "'||(select password_hash from users)||'",
  '\u0000',
  'NULL',
];

function prototypeSnapshot(): string {
  return JSON.stringify(Object.getOwnPropertyNames(Object.prototype).sort());
}

/** Inserts raw text right after the first `{` of a JSON object text. */
function injectMember(json: string, member: string): string {
  return json.length > 2 ? `{${member},${json.slice(1)}` : `{${member}}`;
}

function bodies(valid: Record<string, unknown>): fc.Arbitrary<string> {
  const fieldNames = Object.keys(valid);
  const base = JSON.stringify(valid);
  const anyValue = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 30 }),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );
  const wrongTypes = fc
    .tuple(
      fc.uniqueArray(fc.constantFrom(...fieldNames), { minLength: 1, maxLength: 4 }),
      fc.array(anyValue, { minLength: 4, maxLength: 4 }),
    )
    .map(([names, values]) => {
      const body: Record<string, unknown> = { ...valid };
      names.forEach((n, i) => {
        const v = values[i];
        // Always of another type than the valid value, so the body can never be valid.
        body[n] =
          typeof v === typeof valid[n] && Array.isArray(v) === Array.isArray(valid[n]) ? { wrong: v } : v;
      });
      return JSON.stringify(body);
    });
  const extraFields = fc
    .uniqueArray(
      fc.oneof(
        fc.constantFrom(
          'owner',
          'id',
          'version',
          'createdAt',
          'updatedAt',
          'deletedAt',
          'riskScore',
          'internalNotes',
          'constructor',
          'prototype',
          'toString',
          'isAdmin',
          'role',
        ),
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter((k) => !fieldNames.includes(k) && k !== '__proto__'),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .chain((keys) =>
      fc.tuple(fc.constant(keys), fc.array(anyValue, { minLength: keys.length, maxLength: keys.length })),
    )
    .map(([keys, values]) =>
      JSON.stringify({ ...valid, ...Object.fromEntries(keys.map((k, i) => [k, values[i]])) }),
    );
  const hugeStrings = fc
    .tuple(
      fc.constantFrom('site', 'address', 'residentPhone', 'team', 'inspector'),
      fc.integer({ min: 5_000, max: 300_000 }),
      fc.constantFrom('a', 'é', '😀', '\\u0000', '"'),
    )
    .map(([field, n, ch]) => {
      const text =
        ch === '\\u0000'
          ? '\\u0000'.repeat(Math.floor(n / 6))
          : ch === '"'
            ? '\\"'.repeat(n / 2)
            : ch.repeat(n);
      return injectMember(JSON.stringify({ ...valid, [field]: undefined }), `"${field}":"${text}"`);
    });
  const deepNesting = fc
    .tuple(
      fc.integer({ min: 9, max: 3_000 }),
      fc.constantFrom('[', '{"a":'),
      fc.constantFrom('findings', 'photos', 'site', 'extra'),
    )
    .map(([depth, open, field]) => {
      const close = open === '[' ? ']' : '}';
      const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
      return injectMember(JSON.stringify({ ...valid, [field]: undefined }), `"${field}":${nested}`);
    });
  const protoKeys = fc
    .tuple(
      fc.constantFrom('__proto__', 'constructor', 'prototype'),
      fc.constantFrom('{"polluted":true}', '{"prototype":{"polluted":true}}', '1', 'null'),
      fc.boolean(),
    )
    .map(([key, value, nested]) =>
      nested
        ? JSON.stringify({ ...valid, findings: [] }).replace(
            '"findings":[]',
            `"findings":[{"note":"n","severity":"low","${key}":${value}}]`,
          )
        : injectMember(base, `"${key}":${value}`),
    );
  const duplicateKeys = fc
    .tuple(fc.constantFrom(...fieldNames), anyValue, fc.boolean())
    .map(([name, value, escaped]) => {
      const spelled = escaped
        ? `${name.slice(0, -1)}\\u${name
            .charCodeAt(name.length - 1)
            .toString(16)
            .padStart(4, '0')}`
        : name;
      return injectMember(base, `"${spelled}":${JSON.stringify(value) ?? 'null'}`);
    });
  const randomJson = fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('', '{', '[]', 'null', '"x"', '{"a":1,}', 'NaN'),
  );
  return fc.oneof(wrongTypes, extraFields, hugeStrings, deepNesting, protoKeys, duplicateKeys, randomJson);
}

describeEachDialect('data API robustness', (dialect) => {
  let s: TestServer;
  let ann: Actor;
  let existing: string;

  beforeAll(async () => {
    s = await startDemoServer(dialect);
    const id = await createMember(s, 'ann', ['north']);
    ann = await signIn(s, 'ann', id);
    existing = (await ann.call('POST', '/data/inspections', inspection(id, 'north'))).json().id;
  });
  afterAll(async () => {
    await s.close();
  });

  it(`answers ${RUNS[dialect].toLocaleString('en')} generated bodies with a 4xx problem+json and stores nothing`, async () => {
    const before = await snapshot(s);
    const proto = prototypeSnapshot();
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(bodies(inspection(ann.userId, 'north')), fc.boolean(), async (payload, create) => {
        const url = create ? '/data/inspections' : `/data/inspections/${existing}`;
        const res = await ann.device.send(create ? 'POST' : 'PUT', url, {
          accessToken: ann.session.accessToken,
          headers: { 'content-type': 'application/json' },
          body: payload,
        });
        expect(res.statusCode, payload.slice(0, 200)).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, payload.slice(0, 200)).toBeLessThan(500);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        const code = res.json().code as string;
        expect(CODES.has(code), code).toBe(true);
        seen.set(code, (seen.get(code) ?? 0) + 1);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: RUNS[dialect] },
    );
    expect(await snapshot(s)).toBe(before);
    expect(prototypeSnapshot()).toBe(proto);
    // Both refusal layers were exercised: the strict JSON parser and the validator.
    expect(seen.get('invalid_json') ?? 0).toBeGreaterThan(RUNS[dialect] / 20);
    expect(seen.get('validation_failed') ?? 0).toBeGreaterThan(RUNS[dialect] / 5);
  });

  it('refuses a body that is not well-formed UTF-8 (data API and sync push), storing nothing', async () => {
    const before = await snapshot(s);
    const record = inspection(ann.userId, 'north', { site: 'AB' });
    const bodies = [
      JSON.stringify(record),
      JSON.stringify({
        mutations: [
          {
            mutationId: 'utf8',
            collection: 'inspections',
            id: randomUUID(),
            op: 'upsert',
            baseVersion: null,
            record,
          },
        ],
      }),
    ];
    // A lone continuation byte, bytes UTF-8 never uses, an encoded surrogate, an overlong '/'.
    for (const bytes of [
      [0x80, 0x41],
      [0xff, 0xfe],
      [0xed, 0xa0],
      [0xc0, 0xaf],
    ]) {
      for (const [i, url] of ['/data/inspections', '/sync/push'].entries()) {
        const body = Buffer.from(bodies[i] as string);
        const at = body.indexOf('AB');
        body.set(bytes, at);
        const res = await ann.device.send('POST', url, {
          accessToken: ann.session.accessToken,
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(res.statusCode, `${url} ${bytes}`).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().code).toBe('invalid_json');
      }
    }
    expect(await snapshot(s)).toBe(before);
  });

  it('refuses a content-coded body (gzip, …) instead of reading it as plain JSON, storing nothing', async () => {
    const before = await snapshot(s);
    const record = inspection(ann.userId, 'north');
    const push = {
      mutations: [
        {
          mutationId: 'coded',
          collection: 'inspections',
          id: randomUUID(),
          op: 'upsert',
          baseVersion: null,
          record,
        },
      ],
    };
    for (const coding of ['gzip', 'deflate', 'br', 'GZIP', 'identity, gzip']) {
      for (const [url, body] of [
        ['/data/inspections', record],
        ['/sync/push', push],
      ] as const) {
        // The bytes are plain JSON: a server that ignored the header would store them.
        const res = await ann.device.send('POST', url, {
          accessToken: ann.session.accessToken,
          headers: { 'content-type': 'application/json', 'content-encoding': coding },
          body: JSON.stringify(body),
        });
        expect(res.statusCode, `${url} ${coding}`).toBe(415);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().code).toBe('unsupported_media_type');
      }
    }
    expect(await snapshot(s)).toBe(before);
    const plain = await ann.device.send('POST', '/data/inspections', {
      accessToken: ann.session.accessToken,
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
      body: JSON.stringify(record),
    });
    expect(plain.statusCode).toBe(201);
  });

  it('stores and returns SQL-injection strings verbatim, and filters on them exactly', async () => {
    for (const text of INJECTIONS) {
      const body = inspection(ann.userId, 'north', {
        site: text,
        address: text,
        findings: [{ note: text, severity: 'low' }],
      });
      const created = await ann.call('POST', '/data/inspections', body);
      expect(created.statusCode, text).toBe(201);
      const got = (await ann.call('GET', `/data/inspections/${created.json().id}`)).json();
      expect(got.record).toEqual(body);
      const filter = encodeURIComponent(JSON.stringify({ field: 'site', eq: text }));
      const listed = (await ann.call('GET', `/data/inspections?filter=${filter}`)).json();
      expect(listed.records.map((r: { id: string }) => r.id)).toEqual([created.json().id]);
    }
    const count = await s.ctx.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('refuses a query parameter a data or sync route does not declare, storing nothing', async () => {
    const before = await snapshot(s);
    const record = inspection(ann.userId, 'north');
    const push = {
      mutations: [
        {
          mutationId: 'query',
          collection: 'inspections',
          id: randomUUID(),
          op: 'upsert',
          baseVersion: null,
          record,
        },
      ],
    };
    const calls: Array<[method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown]> =
      [
        ['POST', '/sync/pull?limit=1', { checkpoint: null }],
        ['POST', '/sync/pull?checkpoint=', { checkpoint: null }],
        ['POST', '/sync/push?dryRun=true', push],
        ['GET', '/data/inspections?cursr=x'],
        ['GET', '/data/inspections?limit=5&__proto__=1'],
        ['POST', '/data/inspections?owner=someone-else', record],
        ['GET', `/data/inspections/${existing}?fields=all`],
        ['PUT', `/data/inspections/${existing}?force=1`, record],
        ['PATCH', `/data/inspections/${existing}?x`, { site: 'Q' }],
        ['DELETE', `/data/inspections/${existing}?hard=true`],
      ];
    for (const [method, path, body] of calls) {
      const res = await ann.call(method, path, body);
      expect(res.statusCode, `${method} ${path}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = res.json();
      expect(problem.code, `${method} ${path}`).toBe('invalid_request');
      expect(problem.issues[0].code).toBe('unknown_parameter');
    }
    expect(await snapshot(s)).toBe(before);
    // What the routes declare still works.
    expect((await ann.call('GET', '/data/inspections?limit=1')).statusCode).toBe(200);
    expect((await ann.call('GET', `/data/inspections/${existing}`)).statusCode).toBe(200);
    expect((await ann.call('POST', '/sync/pull', { checkpoint: null })).statusCode).toBe(200);
  });
});
