/** Projections: the device view, the classified paths and the JSON Schema export. */
import { describe, expect, it } from 'vitest';
import {
  collection,
  deviceView,
  EVERY_ITEM,
  sensitivePaths,
  serverOnlyPaths,
  t,
  toJsonSchema,
  validate,
} from '../../src/schema/index.js';
import { compileBoth } from './lib/ajv.js';
import { deviceRecord, inspections, serverRecord } from './lib/fixtures.js';

describe('deviceView', () => {
  it('removes serverOnly fields at every depth and keeps everything else', () => {
    const record = serverRecord();
    const view = deviceView(inspections, record);
    expect(view).toEqual(deviceRecord());
    expect(JSON.stringify(view)).not.toMatch(/riskScore|reviewerComment|internal|auditor/);
    expect(record.riskScore).toBe(42.5);
  });

  it('is an allowlist: undeclared keys and values that do not fit are dropped, never passed through', () => {
    const row = {
      ...serverRecord(),
      owner_password_hash: 'x',
      address: { street: 'a', geo: { lat: 1, lng: 2, raw: 'gps log' } },
      findings: [{ note: 'n', severity: 'low', reviewerComment: 'hidden' }, 'junk'],
      visits: { riskScore: 1 },
    };
    const view = deviceView(inspections, row as never) as Record<string, unknown>;
    expect(view.owner_password_hash).toBeUndefined();
    expect(view.address).toEqual({ street: 'a', geo: { lat: 1, lng: 2 } });
    expect(view.findings).toEqual([{ note: 'n', severity: 'low' }]);
    expect(Object.hasOwn(view, 'visits')).toBe(false);
    expect(deviceView(inspections, null as never)).toEqual({});
  });

  it('keeps null values of nullable fields', () => {
    expect(deviceView(inspections, { ...serverRecord(), notes: null })).toMatchObject({ notes: null });
  });

  it('a device view always validates as a device write', () => {
    expect(validate(inspections, deviceView(inspections, serverRecord())).ok).toBe(true);
  });
});

describe('classified paths', () => {
  it('lists sensitive units, with * for every array element', () => {
    expect(sensitivePaths(inspections).map((p) => p.pointer)).toEqual([
      '/residentPhone',
      '/findings/*/photoNote',
      '/address',
    ]);
    expect(sensitivePaths(inspections)[1]?.segments).toEqual(['findings', EVERY_ITEM, 'photoNote']);
  });

  it('lists serverOnly units', () => {
    expect(serverOnlyPaths(inspections).map((p) => p.pointer)).toEqual([
      '/riskScore',
      '/findings/*/reviewerComment',
      '/internal',
    ]);
  });

  it('lists whole arrays and nested arrays', () => {
    const c = collection('grid', {
      fields: {
        rows: t.array(t.array(t.object({ pin: t.string().sensitive(), plain: t.string() }))),
        secrets: t.array(t.string()).sensitive(),
        none: t.boolean(),
      },
    });
    expect(sensitivePaths(c).map((p) => p.pointer)).toEqual(['/rows/*/*/pin', '/secrets']);
    expect(serverOnlyPaths(c)).toEqual([]);
    expect(Object.isFrozen(sensitivePaths(c))).toBe(true);
  });
});

describe('toJsonSchema', () => {
  it('describes the device view with additionalProperties: false at every level', () => {
    const schema = toJsonSchema(inspections, 'device');
    const text = JSON.stringify(schema);
    expect(text).not.toMatch(/riskScore|reviewerComment|internal/);
    const objects: Record<string, unknown>[] = [];
    const walk = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const record = node as Record<string, unknown>;
      if (record.type === 'object' || (Array.isArray(record.type) && record.type.includes('object')))
        objects.push(record);
      for (const child of Object.values(record)) walk(child);
    };
    walk(schema);
    expect(objects.length).toBe(4);
    for (const object of objects) expect(object.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['site', 'residentPhone', 'status', 'visits', 'done', 'findings']);
  });

  it('the record view includes serverOnly fields; patch requires nothing at the top', () => {
    expect(JSON.stringify(toJsonSchema(inspections, 'record'))).toMatch(
      /riskScore.*reviewerComment.*internal/,
    );
    expect(toJsonSchema(inspections, 'record').required).toContain('riskScore');
    expect(toJsonSchema(inspections, 'patch').required).toBeUndefined();
    expect(toJsonSchema(inspections, 'create')).toEqual(toJsonSchema(inspections, 'device'));
  });

  it('compiles under ajv draft-07 (Fastify) and draft 2020-12 in strict mode and agrees with validate()', () => {
    const device = compileBoth(toJsonSchema(inspections, 'device'));
    const record = compileBoth(toJsonSchema(inspections, 'record'));
    const patch = compileBoth(toJsonSchema(inspections, 'patch'));
    expect(device(deviceRecord())).toEqual([true, true]);
    expect(record(serverRecord())).toEqual([true, true]);
    expect(patch({ status: 'closed' })).toEqual([true, true]);
    const rejected: unknown[] = [
      serverRecord(),
      { ...deviceRecord(), extra: 1 },
      { ...deviceRecord(), residentPhone: 'not a phone' },
      { ...deviceRecord(), visits: 1.5 },
      { ...deviceRecord(), status: 'archived' },
      { ...deviceRecord(), dueAt: 'yesterday' },
      { ...deviceRecord(), notes: 'x'.repeat(11) },
      { ...deviceRecord(), findings: [{ note: 'n', severity: 'low', x: 1 }] },
      { ...deviceRecord(), address: { street: 's', geo: { lat: 1, lng: 2, alt: 3 } } },
    ];
    for (const value of rejected) {
      expect(device(value), JSON.stringify(value).slice(0, 80)).toEqual([false, false]);
      expect(validate(inspections, value).ok).toBe(false);
    }
    expect(patch({ riskScore: 3 })).toEqual([false, false]);
  });

  it('marks nullable fields and leaves case-insensitive patterns to validate()', () => {
    const c = collection('misc', {
      fields: {
        kind: t.enum(['a', 'b']).nullable(),
        code: t.string({ maxLength: 8, pattern: /[a-f]{8}/i }),
        n: t.integer(),
        when: t.dateTime().describe('When it happened'),
      },
      description: 'Miscellany',
    });
    const schema = toJsonSchema(c, 'device') as { properties: Record<string, Record<string, unknown>> };
    expect(schema.properties.kind).toEqual({ type: ['string', 'null'], enum: ['a', 'b', null] });
    expect(schema.properties.code?.pattern).toBeUndefined();
    expect(schema.properties.n).toMatchObject({
      minimum: Number.MIN_SAFE_INTEGER,
      maximum: Number.MAX_SAFE_INTEGER,
    });
    expect(schema.properties.when).toMatchObject({ format: 'date-time', description: 'When it happened' });
    expect(toJsonSchema(c, 'device')).toMatchObject({ title: 'misc', description: 'Miscellany' });
    const check = compileBoth(toJsonSchema(c, 'device'));
    const value = { kind: null, code: 'ABCDEFAB', n: 1, when: '2025-01-01T00:00:00Z' };
    expect(check(value)).toEqual([true, true]);
    expect(validate(c, value).ok).toBe(true);
  });
});
