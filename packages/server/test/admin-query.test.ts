/**
 * Property tests of the admin API's input codecs: page cursors round-trip and anything else is
 * `invalid_cursor`; `since`/`until` accept exactly the ISO 8601 date-times with a zone (no
 * rolled-over February 30th) and give the stored form; event-type lists; and LIKE search
 * patterns that match the typed text literally, on SQLite and PostgreSQL for real.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpProblem } from '../src/http/problem.js';
import { decodeCursor, encodeCursor } from '../src/lib/cursor.js';
import { containsPattern } from '../src/lib/like.js';
import { MAX_EVENT_TYPES, parseDateTime, parseEventTypes } from '../src/routes/lib/admin-query.js';
import { describeEachDialect, openTestDatabase, type TestDatabase } from './lib/databases.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof HttpProblem) return `${err.status} ${err.code}`;
    throw err;
  }
};

describe('page cursors', () => {
  const part = fc.oneof(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.string({ maxLength: 64 }));

  it('decode what they encode, for their own list only', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 3 }), (key) => {
        const shape = key.map((p) => (typeof p === 'number' ? 'number' : 'string'));
        const cursor = encodeCursor('users', key);
        expect(decodeCursor('users', cursor, shape)).toEqual(key);
        expect(codeOf(() => decodeCursor('devices', cursor, shape))).toBe('400 invalid_cursor');
      }),
    );
  });

  it('refuse anything else with invalid_cursor, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.json().map((j) => Buffer.from(j).toString('base64url')),
          fc
            .record({ k: fc.constant('events'), v: fc.array(fc.jsonValue(), { maxLength: 2 }) })
            .map((o) => Buffer.from(JSON.stringify(o)).toString('base64url')),
        ),
        (cursor) => {
          const code = codeOf(() => decodeCursor('events', cursor, ['number']));
          if (code === undefined) {
            const [seq] = decodeCursor('events', cursor, ['number']);
            expect(Number.isSafeInteger(seq) && (seq as number) >= 0).toBe(true);
          } else {
            expect(code).toBe('400 invalid_cursor');
          }
        },
      ),
    );
  });
});

describe('since and until', () => {
  const instant = fc.date({
    min: new Date('0001-01-02T00:00:00.000Z'),
    max: new Date('9999-12-30T00:00:00.000Z'),
    noInvalidDate: true,
  });

  it('give back the instant of any ISO date-time, whatever its zone offset', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), (date, offset) => {
        expect(parseDateTime('since', date.toISOString())).toBe(date.toISOString());
        const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, -1);
        const abs = Math.abs(offset);
        const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        const year = Number(local.slice(0, 4));
        if (local.startsWith('-') || local.startsWith('+') || year < 1) return;
        expect(parseDateTime('since', `${local}${zone}`)).toBe(date.toISOString());
      }),
    );
  });

  it('refuse impossible dates that Date.parse would roll over, and every other text, with invalid_date', () => {
    for (const bad of [
      '2030-02-31T00:00:00Z',
      '2029-02-29T00:00:00Z',
      '2030-04-31T00:00:00Z',
      '2030-01-01T24:00:00Z',
      '2030-01-01T10:60:00Z',
      '2030-01-01T10:00:60Z',
      '2030-01-01T10:00:00+24:00',
      '2030-01-01T10:00:00',
      '2030-01-01',
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:00:00-05:00',
      ' 2030-01-01T10:00:00Z',
    ]) {
      expect([bad, codeOf(() => parseDateTime('until', bad))]).toEqual([bad, '400 invalid_date']);
    }
    expect(parseDateTime('since', '2028-02-29T12:30Z')).toBe('2028-02-29T12:30:00.000Z');
    expect(parseDateTime('since', '2030-01-15T10:00:00.123456+01:00')).toBe('2030-01-15T09:00:00.123Z');
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const code = codeOf(() => parseDateTime('since', text));
        if (code === undefined) {
          expect(parseDateTime('since', text)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        } else {
          expect(code).toBe('400 invalid_date');
        }
      }),
    );
  });
});

describe('event types', () => {
  it('split, trim and deduplicate names; refuse other shapes and too many', () => {
    expect(parseEventTypes(['login_failed, dpop_replay', 'login_failed', ''])).toEqual([
      'login_failed',
      'dpop_replay',
    ]);
    expect(parseEventTypes(undefined)).toEqual([]);
    const many = Array.from({ length: MAX_EVENT_TYPES + 1 }, (_, i) => `t${i}`);
    expect(codeOf(() => parseEventTypes([many.join(',')]))).toBe('400 invalid_request');
    expect(parseEventTypes([many.slice(1).join(',')])).toHaveLength(MAX_EVENT_TYPES);
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }), (raw) => {
        const code = codeOf(() => parseEventTypes(raw));
        if (code === undefined) {
          for (const t of parseEventTypes(raw)) expect(t).toMatch(/^[a-z][a-z0-9_]*$/);
        } else expect(code).toBe('400 invalid_request');
      }),
    );
  });
});

describeEachDialect('LIKE search patterns', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('match the needle literally, wherever it is, wildcards and escape characters included', async () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'b', '!', '%', '_', '\\', "'", 'é', '['),
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(text, text, async (haystack, needle) => {
        const { rows } = await sql<{
          m: unknown;
        }>`select (${haystack} like ${containsPattern(needle)} escape '!') as m`.execute(database.db);
        expect([haystack, needle, Boolean(Number(rows[0]?.m === true ? 1 : rows[0]?.m))]).toEqual([
          haystack,
          needle,
          haystack.includes(needle),
        ]);
      }),
      { numRuns: 300 },
    );
  });
});
