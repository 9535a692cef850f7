/**
 * The data API on both dialects, with the demo app's configuration: create, read, patch, replace,
 * delete and list; re-validation with the core validator; refusal of system and serverOnly fields
 * (no mass assignment); read and write rules; the business hook; filters and pagination; random
 * ids; tombstones; the OpenAPI document. Every response is scanned for serverOnly canaries by the
 * harness (lib/canary.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { riskScore } from '../../../apps/demo/bulwark.config.js';
import { type Actor, createMember, inspection, signIn, snapshot, startDemoServer } from './lib/data-world.js';
import { describeEachDialect } from './lib/databases.js';
import type { TestServer } from './lib/harness.js';

describe('demo configuration', () => {
  it('scores findings by severity, at most 100', () => {
    expect(riskScore([])).toBe(0);
    expect(riskScore([{ severity: 'low' }, { severity: 'high' }])).toBe(32);
    expect(riskScore(Array.from({ length: 5 }, () => ({ severity: 'high' as const })))).toBe(100);
  });
});

describeEachDialect('data API', (dialect) => {
  let s: TestServer;
  let ann: Actor; // inspector, team north
  let bob: Actor; // inspector, team south
  let sue: Actor; // supervisor of north
  let adm: Actor;

  beforeAll(async () => {
    s = await startDemoServer(dialect);
    const annId = await createMember(s, 'ann', ['north']);
    const bobId = await createMember(s, 'bob', ['south']);
    const sueId = await createMember(s, 'sue', ['north', 'supervisors']);
    const admId = await createMember(s, 'adm', [], 'admin');
    [ann, bob, sue, adm] = await Promise.all([
      signIn(s, 'ann', annId),
      signIn(s, 'bob', bobId),
      signIn(s, 'sue', sueId),
      signIn(s, 'adm', admId),
    ]);
  });
  afterAll(async () => {
    await s.close();
  });

  it('creates a record with a random id, the caller as owner and version 1, without serverOnly fields', async () => {
    const res = await ann.call('POST', '/data/inspections', inspection(ann.userId, 'north'));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body).toMatchObject({ version: 1, owner: ann.userId });
    expect(body.record).toEqual(inspection(ann.userId, 'north'));
    expect(res.headers.etag).toBe('"1"');
    // Stored: the hook's serverOnly fields are there (canaries here), never in the answer.
    const row = await s.ctx.db
      .selectFrom('records')
      .selectAll()
      .where('id', '=', body.id)
      .executeTakeFirstOrThrow();
    const data = JSON.parse(row.data as string);
    expect(Object.keys(data)).toContain('riskScore');
    expect(Object.keys(body.record)).not.toContain('riskScore');
    const second = await ann.call('POST', '/data/inspections', inspection(ann.userId, 'north'));
    expect(second.json().id).not.toBe(body.id);
  });

  it('refuses system fields, serverOnly fields and unknown fields with per-field reasons, storing nothing', async () => {
    const before = await snapshot(s);
    const res = await ann.call('POST', '/data/inspections', {
      ...inspection(ann.userId, 'north'),
      owner: bob.userId,
      version: 99,
      createdAt: '2020-01-01T00:00:00Z',
      id: '00000000-0000-4000-8000-000000000000',
      riskScore: 0,
      internalNotes: 'x',
      isAdmin: true,
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem.code).toBe('validation_failed');
    const byPath = Object.fromEntries(
      problem.issues.map((i: { path: string; code: string }) => [i.path, i.code]),
    );
    expect(byPath).toMatchObject({
      '/owner': 'system_field',
      '/version': 'system_field',
      '/createdAt': 'system_field',
      '/id': 'system_field',
      '/riskScore': 'server_only',
      '/internalNotes': 'server_only',
      '/isAdmin': 'unknown_field',
    });
    expect(await snapshot(s)).toBe(before);
  });

  it('re-validates types, limits and patterns with the core validator', async () => {
    const res = await ann.call('POST', '/data/inspections', {
      ...inspection(ann.userId, 'north'),
      site: 'x'.repeat(201),
      status: 'lost',
      scheduledAt: '2030-01-20 08:30:00',
      residentPhone: 'call me',
      findings: [{ note: 3, severity: 'high' }],
    });
    expect(res.statusCode).toBe(422);
    const codes = res.json().issues.map((i: { path: string; code: string }) => `${i.path}:${i.code}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        '/site:too_long',
        '/status:not_in_enum',
        '/scheduledAt:invalid_date_time',
        '/residentPhone:pattern_mismatch',
        '/findings/0/note:wrong_type',
      ]),
    );
  });

  it('runs the business hook: a done inspection without findings is refused', async () => {
    const res = await ann.call(
      'POST',
      '/data/inspections',
      inspection(ann.userId, 'north', { status: 'done', findings: [] }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().issues).toEqual([
      { path: '/findings', code: 'findings_required', message: 'a done inspection needs a finding' },
    ]);
  });

  it('applies the create rule: no record in a team the caller is not in, nor for another inspector', async () => {
    expect((await ann.call('POST', '/data/inspections', inspection(ann.userId, 'south'))).statusCode).toBe(
      403,
    );
    expect((await ann.call('POST', '/data/inspections', inspection(bob.userId, 'north'))).json().code).toBe(
      'forbidden',
    );
    // A supervisor may create for another inspector of the team.
    expect((await sue.call('POST', '/data/inspections', inspection(ann.userId, 'north'))).statusCode).toBe(
      201,
    );
  });

  it('reads, patches with If-Match, replaces and deletes; keeps serverOnly fields across updates', async () => {
    const created = (await ann.call('POST', '/data/inspections', inspection(ann.userId, 'north'))).json();
    const path = `/data/inspections/${created.id}`;
    const got = await ann.call('GET', path);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created);

    const patched = await ann.call('PATCH', path, { status: 'in_progress' }, { 'if-match': '"1"' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().version).toBe(2);
    expect(patched.json().record.status).toBe('in_progress');
    expect(patched.json().record.site).toBe('Harbour warehouse 7');

    const stale = await ann.call('PATCH', path, { status: 'done' }, { 'if-match': '1' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('version_conflict');

    const replaced = await ann.call(
      'PUT',
      path,
      inspection(ann.userId, 'north', { site: 'Depot', address: 'Quay 3' }),
    );
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json().record).toEqual(
      inspection(ann.userId, 'north', { site: 'Depot', address: 'Quay 3' }),
    );
    const row = await s.ctx.db
      .selectFrom('records')
      .select('data')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(Object.keys(JSON.parse(row.data as string))).toEqual(
      expect.arrayContaining(['riskScore', 'internalNotes']),
    );

    // Inspectors do not delete; the team's supervisor does.
    expect((await ann.call('DELETE', path)).statusCode).toBe(403);
    expect((await sue.call('DELETE', path, undefined, { 'if-match': '"3"' })).statusCode).toBe(204);
    expect((await ann.call('GET', path)).statusCode).toBe(404);
    expect((await sue.call('DELETE', path)).statusCode).toBe(404);
    const tomb = await s.ctx.db
      .selectFrom('records')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(tomb.deleted_at).not.toBeNull();
    expect(tomb.device).toBeNull();
    expect(Number(tomb.version)).toBe(4);
    // The tombstone keeps only what the read rule reads.
    expect(Object.keys(JSON.parse(tomb.data as string)).sort()).toEqual(['inspector', 'team']);
  });

  it('hides records the read rule does not allow: 404 whatever the id, even when known', async () => {
    const theirs = (await bob.call('POST', '/data/inspections', inspection(bob.userId, 'south'))).json();
    const res = await ann.call('GET', `/data/inspections/${theirs.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
    expect((await ann.call('GET', '/data/inspections/not-a-uuid')).statusCode).toBe(404);
    expect((await adm.call('GET', `/data/inspections/${theirs.id}`)).statusCode).toBe(200);
  });

  it('lets a supervisor reassign, and stops an inspector from handing a record away', async () => {
    const created = (await ann.call('POST', '/data/inspections', inspection(ann.userId, 'north'))).json();
    const path = `/data/inspections/${created.id}`;
    expect((await ann.call('PATCH', path, { inspector: bob.userId })).statusCode).toBe(403);
    expect((await ann.call('PATCH', path, { team: 'south' })).statusCode).toBe(403);
    const moved = await sue.call('PATCH', path, { inspector: bob.userId, team: 'south' });
    expect(moved.statusCode).toBe(403); // sue is not in south: the result must satisfy the rule too
    const reassigned = await sue.call('PATCH', path, { inspector: bob.userId });
    expect(reassigned.statusCode).toBe(200);
    // bob (south) now sees it as its inspector, but may not edit it: the team is north.
    expect((await bob.call('GET', path)).statusCode).toBe(200);
    expect((await bob.call('PATCH', path, { status: 'done' })).statusCode).toBe(403);
  });

  it('lists only visible records, filtered and paginated with a cursor', async () => {
    for (let i = 0; i < 5; i++) {
      s.clock.advance(1);
      await bob.call(
        'POST',
        '/data/inspections',
        inspection(bob.userId, 'south', { site: `South ${i}`, status: i % 2 === 0 ? 'scheduled' : 'done' }),
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/data/inspections?limit=2&filter=${encodeURIComponent(JSON.stringify({ field: 'team', eq: 'south' }))}${cursor === null ? '' : `&cursor=${cursor}`}`;
      const page = await bob.call('GET', q);
      expect(page.statusCode).toBe(200);
      const body = page.json() as {
        records: { owner: string; record: { site: string; team: string } }[];
        nextCursor: string | null;
      };
      expect(body.records.length).toBeLessThanOrEqual(2);
      for (const r of body.records) {
        expect(r.record.team).toBe('south');
        seen.push(r.record.site);
      }
      cursor = body.nextCursor;
    } while (cursor !== null);
    expect(seen.filter((x) => x.startsWith('South '))).toEqual([
      'South 0',
      'South 1',
      'South 2',
      'South 3',
      'South 4',
    ]);
    const done = await bob.call(
      'GET',
      `/data/inspections?filter=${encodeURIComponent('{"all":[{"field":"status","eq":"done"},{"field":"team","eq":"south"}]}')}`,
    );
    expect(done.json().records.map((r: { record: { site: string } }) => r.record.site)).toEqual([
      'South 1',
      'South 3',
    ]);
    // ann sees none of them, whatever the filter says.
    const annList = await ann.call(
      'GET',
      `/data/inspections?filter=${encodeURIComponent('{"field":"team","eq":"south"}')}`,
    );
    expect(
      annList
        .json()
        .records.filter((r: { record: { inspector: string } }) => r.record.inspector !== ann.userId),
    ).toEqual([]);
  });

  it('refuses filters on serverOnly fields, with claims or malformed, and bad cursors', async () => {
    const bad = [
      { field: 'riskScore', gt: 50 },
      { field: 'internalNotes', eq: 'x' },
      { field: 'owner', eq: { claim: 'userId' } },
      { claim: 'role', eq: 'admin' },
      { field: 'nope', eq: 1 },
      { field: 'status', eq: 3 },
      { field: 'site', lt: 3 },
    ];
    for (const filter of bad) {
      const res = await ann.call(
        'GET',
        `/data/inspections?filter=${encodeURIComponent(JSON.stringify(filter))}`,
      );
      expect(res.statusCode, JSON.stringify(filter)).toBe(400);
      expect(res.json().code).toBe('invalid_filter');
    }
    expect((await ann.call('GET', '/data/inspections?filter=%7B')).json().code).toBe('invalid_filter');
    expect((await ann.call('GET', '/data/inspections?cursor=abc')).json().code).toBe('invalid_cursor');
    expect((await ann.call('GET', '/data/inspections?limit=0')).statusCode).toBe(400);
    expect((await ann.call('GET', '/data/inspections?limit=1000')).statusCode).toBe(400);
    expect((await ann.call('GET', '/data/inspections?sort=site')).statusCode).toBe(400);
  });

  it('serves an offline: false collection online with its own rules', async () => {
    const aud = await createMember(s, 'aud', ['audit', 'north']);
    const auditor = await signIn(s, 'aud', aud);
    const note = { inspectionId: 'x', team: 'north', text: 'Checked.' };
    expect((await ann.call('POST', '/data/audit_notes', note)).statusCode).toBe(403);
    const created = await auditor.call('POST', '/data/audit_notes', note);
    expect(created.statusCode).toBe(201);
    expect((await ann.call('GET', `/data/audit_notes/${created.json().id}`)).statusCode).toBe(404);
    expect((await auditor.call('GET', `/data/audit_notes/${created.json().id}`)).statusCode).toBe(200);
  });

  it('refuses duplicate keys, __proto__ keys and deep nesting in raw JSON, storing nothing', async () => {
    const before = await snapshot(s);
    const base = JSON.stringify(inspection(ann.userId, 'north'));
    const bodies = [
      `${base.slice(0, -1)},"site":"Other"}`,
      `${base.slice(0, -1)},"__proto__":{"owner":"x"}}`,
      `${base.slice(0, -1)},"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      `{"site":"A","sit\\u0065":"B"}`,
    ];
    for (const payload of bodies) {
      const res = await ann.device.send('POST', '/data/inspections', {
        accessToken: ann.session.accessToken,
        headers: { 'content-type': 'application/json' },
        body: payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('invalid_json');
    }
    expect(await snapshot(s)).toBe(before);
  });

  it('documents every collection route in /openapi.json from the schema', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const post = doc.paths['/data/inspections'].post;
    const body = post.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(Object.keys(body.properties)).toContain('residentPhone');
    expect(Object.keys(body.properties)).not.toContain('riskScore');
    expect(doc.paths['/data/inspections/{id}']).toHaveProperty('patch');
    expect(doc.paths['/data/audit_notes']).toHaveProperty('get');
    expect(doc.paths['/sync/pull']).toHaveProperty('post');
    expect(JSON.stringify(doc)).not.toContain('internalNotes');
  });
});
