/**
 * The enrollment body of `POST /auth/login`, on both dialects, with a valid DPoP proof: every
 * member of a valid body is kept, removed or replaced by generated JSON, and the answer is always
 * either a sign-in or a documented 4xx problem — never a 500 — and a changed device key never
 * signs in. A declared key with empty coordinates once reached the thumbprint unchecked and
 * answered 500 `internal_error`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

const RUNS = 60;

/** What a login may answer besides 200 (docs/errors.md). */
const LOGIN_CODES = new Set([
  'invalid_request',
  'invalid_json',
  'device_key_mismatch',
  'invalid_credentials',
  'login_throttled',
  'device_conflict',
  'device_policy_refused',
  'account_disabled',
]);

const DROP = Symbol('drop');

/** Every member of a login body, as a path. */
const PATHS: readonly (readonly string[])[] = [
  ['username'],
  ['password'],
  ['device'],
  ['device', 'id'],
  ['device', 'platform'],
  ['device', 'osVersion'],
  ['device', 'appVersion'],
  ['device', 'publicKey'],
  ['device', 'publicKey', 'kty'],
  ['device', 'publicKey', 'crv'],
  ['device', 'publicKey', 'x'],
  ['device', 'publicKey', 'y'],
  ['device', 'posture'],
  ['device', 'posture', 'rooted'],
  ['device', 'posture', 'screenLock'],
  ['device', 'posture', 'emulator'],
  // A member the schema does not have, at each level.
  ['extra'],
  ['device', 'extra'],
  ['device', 'publicKey', 'extra'],
  ['device', 'posture', 'extra'],
];

/** One change: a member removed or replaced (or added) by generated JSON. */
const edit = fc.tuple(
  fc.constantFrom(...PATHS),
  fc.oneof(
    { weight: 1, arbitrary: fc.constant<unknown>(DROP) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(
        '',
        ' ',
        'A'.repeat(43),
        'x'.repeat(5000),
        0,
        -1,
        1e308,
        null,
        true,
        {},
        [],
      ),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  ),
);
/** None to a few changes: none keeps the body valid, so sign-ins are part of the property too. */
const edits = fc.array(edit, { maxLength: 3 });

function applyEdit(body: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at: unknown = body;
  for (const key of path.slice(0, -1)) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return;
    at = (at as Record<string, unknown>)[key];
  }
  if (typeof at !== 'object' || at === null || Array.isArray(at)) return;
  const last = path[path.length - 1] as string;
  if (value === DROP) delete (at as Record<string, unknown>)[last];
  else (at as Record<string, unknown>)[last] = value;
}

/** The login body of `device` after `changes`; `keyChanged` tells whether the declared key moved. */
function mutatedBody(
  device: TestDevice,
  changes: readonly (readonly [readonly string[], unknown])[],
): { body: Record<string, unknown>; keyChanged: boolean } {
  const body = structuredClone({ username: 'nora', password: PASSWORD, device: device.declaration() });
  for (const [path, value] of changes) applyEdit(body, path, value === DROP ? DROP : structuredClone(value));
  const sent = (body.device as { publicKey?: { x?: unknown; y?: unknown } } | null | undefined)?.publicKey;
  const keyChanged = sent?.x !== device.publicJwk.x || sent?.y !== device.publicJwk.y;
  return { body, keyChanged };
}

describeEachDialect('enrollment body', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    await s.user('nora', PASSWORD);
  });
  afterAll(async () => {
    await s.close();
  });

  const deviceCount = async () =>
    Number(
      (
        await s.ctx.db
          .selectFrom('devices')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('refuses a declared key with empty coordinates with 400, not 500', async () => {
    for (const coordinate of ['x', 'y'] as const) {
      const device = await TestDevice.create(s);
      const res = await device.loginRaw('nora', PASSWORD, {
        extra: { device: { ...device.declaration(), publicKey: { ...device.publicJwk, [coordinate]: '' } } },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('invalid_request');
      expect(res.json().issues[0].path).toBe(`/device/publicKey/${coordinate}`);
    }
  });

  it('answers every variation of a valid enrollment body with a sign-in or a documented 4xx', async () => {
    let signedIn = 0;
    await fc.assert(
      fc.asyncProperty(edits, async (changes) => {
        const device = await TestDevice.create(s);
        const { body, keyChanged } = mutatedBody(device, changes);
        const before = await deviceCount();
        const res = await device.send('POST', '/auth/login', { body });
        if (res.statusCode === 200) {
          // A declared key other than the proof key never signs in.
          expect(keyChanged).toBe(false);
          expect(res.json().tokenType).toBe('DPoP');
          signedIn += 1;
          return;
        }
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        expect(res.headers['content-type']).toContain('application/problem+json');
        const code = res.json().code as string;
        expect(LOGIN_CODES).toContain(code);
        if (res.statusCode === 400) expect(await deviceCount()).toBe(before);
      }),
      { numRuns: RUNS },
    );
    // The generator keeps enough bodies valid that the property saw sign-ins too.
    expect(signedIn).toBeGreaterThan(0);
  });
});
