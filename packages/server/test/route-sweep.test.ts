/**
 * Every route the server documents in /openapi.json, swept with generated input on both dialects:
 * path parameters (real ids, other UUIDs, traversal, NUL, very long, prototype names; each hostile
 * one to every route), query strings (each hostile value to every documented parameter), JSON bodies of any shape, bodies that are not JSON, a wrong content type; sent by a
 * signed-in admin with a valid DPoP proof and by an anonymous caller. No answer may be a 5xx; every
 * refusal is problem+json with a code from the server's code table, and none carries a stack trace.
 * New routes are swept without a change here, so none escapes the rule by being new.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SERVER_ERROR_CODES } from '../src/http/codes.js';
import { createMember, demoConfig } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, type Session, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Operation {
  readonly method: Method;
  readonly template: string;
  readonly query: readonly string[];
  readonly body: boolean;
}

/** Routes that answer the same to anyone and take no input. */
const INPUTLESS = new Set(['/healthz', '/readyz', '/openapi.json', '/.well-known/jwks.json']);

/** Inputs per operation and caller. */
const RUNS = 10;

describeEachDialect('every documented route, swept', (dialect) => {
  let s: TestServer;
  let admin: TestDevice;
  let session: Session;
  let realIds: string[];

  beforeEach(async () => {
    // Fully configured (passkeys need the console's origin), so that no route answers 503.
    s = await startTestServer(
      dialect,
      { publicOrigin: 'https://console.example' },
      { data: await demoConfig() },
    );
    await s.user('root', PASSWORD, 'admin');
    const other = await createMember(s, 'gina', ['north']);
    const otherDevice = await TestDevice.create(s);
    await otherDevice.login('gina', PASSWORD);
    // Ids that exist, so that routes get past "not found"; never the admin's own (a generated
    // body could disable the account the sweep signs in with).
    realIds = [other, otherDevice.id, 'inspections'];
    admin = await TestDevice.create(s);
    session = await admin.login('root', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  async function operations(): Promise<Operation[]> {
    const spec = (await s.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>
      >;
    };
    const out: Operation[] = [];
    for (const [template, ops] of Object.entries(spec.paths)) {
      if (INPUTLESS.has(template)) continue;
      for (const [method, op] of Object.entries(ops)) {
        out.push({
          method: method.toUpperCase() as Method,
          template,
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          body: op.requestBody !== undefined,
        });
      }
    }
    return out;
  }

  /** Path segments that no id is, each sent to every route that takes a path parameter. */
  const HOSTILE_SEGMENTS = [
    '..',
    '%2e%2e',
    '%00',
    'a%00b',
    '%ff',
    '%ED%A0%80',
    '%E2%80%AE',
    '__proto__',
    'constructor',
    'a'.repeat(4000),
    '%25',
    '-',
  ] as const;

  const segment = () =>
    fc.oneof(
      fc.constantFrom(...realIds).map(encodeURIComponent),
      fc.uuid().map(encodeURIComponent),
      fc.string({ maxLength: 80 }).map(encodeURIComponent),
      fc.constantFrom(...HOSTILE_SEGMENTS),
    );

  const query = (names: readonly string[]) =>
    fc
      .array(
        fc.tuple(
          names.length > 0
            ? fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 }))
            : fc.string({ maxLength: 12 }),
          fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.integer().map(String),
            fc.constantFrom('-1', '1e309', 'NaN', 'true', '', '%00', 'x'.repeat(3000)),
          ),
        ),
        { maxLength: 4 },
      )
      .map((pairs) => new URLSearchParams(pairs).toString());

  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
    fc
      .dictionary(fc.string({ maxLength: 16 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 })
      .map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
    fc.constantFrom(
      { type: 'application/json', payload: '{"a":' },
      { type: 'application/json', payload: '{"__proto__":{"polluted":true}}' },
      { type: 'application/json', payload: '{"constructor":{"prototype":{"polluted":true}}}' },
      { type: 'text/plain', payload: 'hello' },
      { type: 'application/x-www-form-urlencoded', payload: 'a=1&a=2' },
      { type: 'application/json', payload: `"${'z'.repeat(100_000)}"` },
    ),
  );

  function expectRefusalShape(res: LightMyRequestResponse, what: string): void {
    expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
    expect(res.body, what).not.toMatch(/\n\s+at |\\n\s+at /);
    // Every answer, a refusal of the router included, carries the API's security headers.
    expect(res.headers['cache-control'], what).toBe('no-store');
    expect(res.headers['x-content-type-options'], what).toBe('nosniff');
    expect(String(res.headers['content-security-policy']), what).toContain("default-src 'none'");
    if (res.statusCode < 400) return;
    expect(res.headers['content-type'], what).toContain('application/problem+json');
    const code = (res.json() as { code?: unknown }).code;
    const statuses: readonly string[] =
      typeof code === 'string' && Object.hasOwn(SERVER_ERROR_CODES, code)
        ? SERVER_ERROR_CODES[code as keyof typeof SERVER_ERROR_CODES]
        : [];
    // The code is in the table, with the status the docs give it.
    expect(
      statuses.some(
        (status) => status === String(res.statusCode) || (status === '4xx' && res.statusCode < 500),
      ),
      `${what}: ${res.statusCode} ${String(code)}`,
    ).toBe(true);
  }

  it('answers every hostile path segment (NUL first: PostgreSQL cannot hold it) on every route with a parameter', async () => {
    // Not left to sampling: a route whose parameter reaches a PostgreSQL statement unchecked fails
    // only on the one segment that holds a NUL.
    const ops = (await operations()).filter((op) => op.template.includes('{'));
    expect(ops.length).toBeGreaterThan(10);
    for (const op of ops) {
      for (const hostile of HOSTILE_SEGMENTS) {
        const path = op.template
          .split('/')
          .map((part) => (part.startsWith('{') ? hostile : part))
          .join('/');
        const headers = op.body ? { 'content-type': 'application/json' } : {};
        const what = `${op.method} ${path.slice(0, 200)}`;
        const signed = await admin.send(op.method, path, {
          accessToken: session.accessToken,
          headers,
          ...(op.body ? { body: '{}' } : {}),
        });
        expectRefusalShape(signed, `admin ${what}`);
      }
    }
  });

  it('answers every hostile value of every documented query parameter', async () => {
    // Not left to sampling either: a number past PostgreSQL's bigint, or a NUL, fails a statement
    // only when that exact value reaches it.
    const values = [
      '99999999999999999999',
      '9007199254740993',
      '-1',
      '1e309',
      '%00',
      '%ED%A0%80',
      'x'.repeat(3000),
    ];
    const ops = (await operations()).filter((op) => op.query.length > 0);
    expect(ops.length).toBeGreaterThan(3);
    for (const op of ops) {
      const path = op.template.replace(/\{[^}]+\}/g, realIds[0] ?? 'x');
      for (const name of op.query) {
        for (const value of values) {
          const url = `${path}?${encodeURIComponent(name)}=${value}`;
          const signed = await admin.send(op.method, url, { accessToken: session.accessToken });
          expectRefusalShape(signed, `admin ${op.method} ${url.slice(0, 200)}`);
        }
      }
    }
  });

  it('answers generated input on every route with a 2xx or a coded 4xx problem, never a 5xx', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(50);
    let sent = 0;
    const admitted = new Set<string>();
    for (const op of ops) {
      const input = fc.record({
        path: fc.tuple(
          ...op.template.split('/').map((part) => (part.startsWith('{') ? segment() : fc.constant(part))),
        ),
        query: query(op.query),
        body: op.body ? body : fc.constant(undefined),
        ip: fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.9.${a}.${b}`),
      });
      for (const sample of fc.sample(input, { numRuns: RUNS, seed: 0x5eed + sent })) {
        const path = sample.path.join('/') + (sample.query === '' ? '' : `?${sample.query}`);
        const headers: Record<string, string> = {};
        if (sample.body !== undefined) headers['content-type'] = sample.body.type;
        const payload = sample.body?.payload;
        const what = `${op.method} ${path.slice(0, 200)}`;

        const anonymous = await s.app.inject({
          method: op.method,
          url: path,
          headers,
          remoteAddress: sample.ip,
          ...(payload === undefined ? {} : { payload }),
        });
        expectRefusalShape(anonymous, `anonymous ${what}`);

        const signed = await admin.send(op.method, path, {
          accessToken: session.accessToken,
          headers,
          ip: sample.ip,
          ...(payload === undefined ? {} : { body: payload }),
        });
        expectRefusalShape(signed, `admin ${what}`);
        if (signed.statusCode < 300) admitted.add(`${op.method} ${op.template}`);
        sent += 2;
        // A generated body may end the admin's session (sign-out) or a route may revoke it:
        // sign in again, so that the rest of the sweep is still authenticated.
        if (signed.statusCode === 401) {
          admin = await TestDevice.create(s);
          session = await admin.login('root', PASSWORD);
        }
      }
    }
    expect(sent).toBeGreaterThan(ops.length * RUNS);
    // The sweep reached past authentication: many operations answered the admin with a 2xx.
    expect(admitted.size, [...admitted].join('\n')).toBeGreaterThan(ops.length / 4);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
