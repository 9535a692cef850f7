/**
 * The server and docs/errors.md agree, on both dialects with the demo configuration: each answer
 * below is checked against the status the page gives its code. The cases are those where they
 * once disagreed: a body that is not JSON (415, not 422 `wrong_type`), `constructor` and
 * `prototype` keys (400 `invalid_json`, not 422 `forbidden_key`), a list filter with a duplicate
 * key or a constant its field cannot hold (400 `invalid_filter`, not accepted), a new record with
 * a non-random id (refused, not stored), and the code of a sign-in whose declared key is not the
 * proof key (one code, `device_key_mismatch`). And, without a server: the code table
 * `SERVER_ERROR_CODES`, the codes the sources throw or answer, and the tables of errors.md are the
 * same set, in both directions (an undocumented code fails, and so does a documented code that no
 * longer exists).
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CORE_ERROR_CODES } from '@bulwark/core';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedCodes, mentionsCode, thrownCodes } from '../../../test-support/error-docs.js';
import { SERVER_ERROR_CODES } from '../src/index.js';
import { type Actor, createMember, inspection, signIn, snapshot, startDemoServer } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, TestDevice, type TestServer } from './lib/harness.js';

const ERRORS_MD = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

/** Every row of the code tables of errors.md: code → its statuses. */
const DOCUMENTED = documentedCodes(ERRORS_MD);

/** The answer is a problem whose code errors.md lists with this very status. */
function expectDocumented(res: LightMyRequestResponse, status: number, code: string): void {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect([...(DOCUMENTED.get(code) ?? [])], `errors.md: ${code}`).toContain(String(status));
}

describe('errors.md', () => {
  const src = fileURLToPath(new URL('../src', import.meta.url));

  it('documents every code of SERVER_ERROR_CODES with its statuses, and nothing else', () => {
    const table = new Map(
      Object.entries(SERVER_ERROR_CODES).map(([code, statuses]) => [code, new Set(statuses)]),
    );
    expect(new Map(documentedCodes(ERRORS_MD))).toEqual(table);
  });

  it('throws or answers no code that SERVER_ERROR_CODES lacks', () => {
    // StrictJsonError's first argument is its `reason`; its code is always invalid_json.
    const undocumented = [...thrownCodes(src, ['StrictJsonError'])].filter(
      (code) => !Object.hasOwn(SERVER_ERROR_CODES, code),
    );
    expect(undocumented).toEqual([]);
  });

  it('documents no code that the server no longer has', () => {
    // A code is real when the sources name it; those of core's errors are core's (AnyServerError).
    const gone = Object.keys(SERVER_ERROR_CODES).filter(
      (code) => !Object.hasOwn(CORE_ERROR_CODES, code) && !mentionsCode(src, code),
    );
    expect(gone).toEqual([]);
  });

  it('names one code for a sign-in whose declared device key is not the proof key', () => {
    const rows = ERRORS_MD.split('\n').filter((l) => l.startsWith('| `') && l.includes('device.publicKey'));
    expect(rows.map((l) => /^\| `([a-z_]+)`/.exec(l)?.[1])).toEqual(['device_key_mismatch']);
  });
});

describeEachDialect('server and errors.md agree', (dialect) => {
  let s: TestServer;
  let ann: Actor;
  let adm: Actor;

  beforeAll(async () => {
    s = await startDemoServer(dialect);
    [ann, adm] = await Promise.all([
      createMember(s, 'ann', ['north']).then((id) => signIn(s, 'ann', id)),
      createMember(s, 'adm', [], 'admin').then((id) => signIn(s, 'adm', id)),
    ]);
  });
  afterAll(async () => {
    await s.close();
  });

  const raw = (actor: Actor, method: 'POST' | 'PUT', url: string, body: string, type = 'application/json') =>
    actor.device.send(method, url, {
      accessToken: actor.session.accessToken,
      headers: { 'content-type': type },
      body,
    });

  it('answers a body that is not JSON with 415 on every kind of route', async () => {
    const before = await snapshot(s);
    const json = JSON.stringify(inspection(ann.userId, 'north'));
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded']) {
      expectDocumented(
        await raw(ann, 'POST', '/data/inspections', json, type),
        415,
        'unsupported_media_type',
      );
      expectDocumented(
        await raw(ann, 'POST', '/sync/push', '{"mutations":[]}', type),
        415,
        'unsupported_media_type',
      );
      expectDocumented(
        await raw(adm, 'POST', '/admin/users', '{"username":"x","password":"y"}', type),
        415,
        'unsupported_media_type',
      );
      expectDocumented(
        await raw(adm, 'PUT', `/admin/users/${ann.userId}/teams`, '{"teams":[]}', type),
        415,
        'unsupported_media_type',
      );
      const device = await TestDevice.create(s);
      const login = await device.send('POST', '/auth/login', {
        headers: { 'content-type': type },
        body: JSON.stringify({ username: 'ann', password: PASSWORD, device: device.declaration() }),
      });
      expectDocumented(login, 415, 'unsupported_media_type');
    }
    expect(await snapshot(s)).toBe(before);
  });

  it('answers constructor and prototype keys with 400 invalid_json, as __proto__', async () => {
    const before = await snapshot(s);
    const base = JSON.stringify(inspection(ann.userId, 'north')).slice(0, -1);
    const bodies = [
      `${base},"constructor":{"prototype":{"owner":"x"}}}`,
      `${base},"prototype":{"owner":"x"}}`,
      `${base},"constructor":1}`,
      `${base},"findings":[{"note":"n","severity":"low","constructor":{}}]}`,
    ];
    for (const body of bodies) {
      expectDocumented(await raw(ann, 'POST', '/data/inspections', body), 400, 'invalid_json');
      const push = `{"mutations":[{"mutationId":"m1","collection":"inspections","id":"${randomUUID()}","op":"upsert","baseVersion":null,"record":${body}}]}`;
      expectDocumented(await raw(ann, 'POST', '/sync/push', push), 400, 'invalid_json');
    }
    expect(await snapshot(s)).toBe(before);
  });

  it('refuses a list filter with a duplicate key or a constant its field cannot hold', async () => {
    const list = (filter: string) =>
      ann.call('GET', `/data/inspections?filter=${encodeURIComponent(filter)}`);
    const bad = [
      '{"field":"team","eq":"north","eq":"south"}',
      '{"all":[{"field":"team","eq":"north"}],"all":[]}',
      '{"field":"scheduledAt","eq":"not a date"}',
      '{"field":"scheduledAt","in":["2030-01-20T08:30:00Z","tomorrow"]}',
      '{"field":"scheduledAt","eq":"2030-02-30T08:30:00Z"}',
      '{"field":"status","eq":"cancelled"}',
      '{"field":"team","eq":"north","constructor":1}',
    ];
    for (const filter of bad) expectDocumented(await list(filter), 400, 'invalid_filter');
    // What a body accepts, a filter accepts.
    for (const good of [
      '{"field":"scheduledAt","eq":"2030-01-20T08:30:00Z"}',
      '{"field":"scheduledAt","in":["2030-01-20T08:30:00+01:00"]}',
      '{"field":"status","in":["scheduled","done"]}',
    ]) {
      expect((await list(good)).statusCode, good).toBe(200);
    }
  });

  it('refuses to create a record whose id is not a random UUID v4, storing nothing', async () => {
    const before = await snapshot(s);
    const ids = [
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      // Version 1 (time-based) and version 4 with the wrong variant.
      '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
      '6ba7b810-9dad-41d1-c0b4-00c04fd430c8',
    ];
    for (const id of ids) {
      const res = await ann.call('POST', '/sync/push', {
        mutations: [
          {
            mutationId: 'nil-1',
            collection: 'inspections',
            id,
            op: 'upsert',
            baseVersion: null,
            record: inspection(ann.userId, 'north'),
          },
        ],
      });
      expectDocumented(res, 400, 'invalid_request');
      expect(res.json().issues).toEqual([expect.objectContaining({ path: '/mutations/0/id' })]);
    }
    expect(await snapshot(s)).toBe(before);
    const fine = await ann.call('POST', '/sync/push', {
      mutations: [
        {
          mutationId: 'v4-1',
          collection: 'inspections',
          id: randomUUID(),
          op: 'upsert',
          baseVersion: null,
          record: inspection(ann.userId, 'north'),
        },
      ],
    });
    expect(fine.json().results[0].status).toBe('applied');
  });

  it('answers a sign-in whose declared key is not the proof key with the documented code', async () => {
    const device = await TestDevice.create(s);
    const other = await TestDevice.create(s);
    const res = await device.send('POST', '/auth/login', {
      body: { username: 'ann', password: PASSWORD, device: { ...other.declaration(), id: device.id } },
    });
    expectDocumented(res, 400, 'device_key_mismatch');
  });
});
