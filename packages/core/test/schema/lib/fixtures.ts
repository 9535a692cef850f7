/** The inspections collection of the docs, shared by the schema tests, and a valid record of it. */
import { collection, t } from '../../../src/schema/index.js';

export const inspections = collection('inspections', {
  offline: true,
  version: 2,
  fields: {
    site: t.string({ maxLength: 200 }),
    residentPhone: t.string({ maxLength: 32, pattern: /\+?[0-9 ]{6,20}/ }).sensitive(),
    riskScore: t.number({ min: 0, max: 100 }).serverOnly(),
    status: t.enum(['open', 'closed']),
    visits: t.integer({ min: 0 }),
    done: t.boolean(),
    dueAt: t.dateTime().optional(),
    notes: t.string({ minLength: 2, maxLength: 10 }).nullable().optional(),
    findings: t.array(
      t.object({
        note: t.string({ maxLength: 2000 }),
        severity: t.enum(['low', 'high']),
        photoNote: t.string({ maxLength: 100 }).sensitive().optional(),
        reviewerComment: t.string({ maxLength: 500 }).serverOnly().optional(),
      }),
      { maxItems: 100 },
    ),
    address: t
      .object({
        street: t.string({ maxLength: 100 }),
        geo: t
          .object({ lat: t.number({ min: -90, max: 90 }), lng: t.number({ min: -180, max: 180 }) })
          .optional(),
      })
      .sensitive()
      .optional(),
    internal: t
      .object({ auditor: t.string({ maxLength: 50 }), flags: t.array(t.string({ maxLength: 20 })) })
      .serverOnly()
      .optional(),
  },
});

/** A complete server record (serverOnly fields included). */
export function serverRecord() {
  return {
    site: 'Depot 4',
    residentPhone: '+44 20 7946 0000',
    riskScore: 42.5,
    status: 'open' as const,
    visits: 3,
    done: false,
    dueAt: '2025-03-01T09:30:00+01:00',
    findings: [
      { note: 'Loose cable', severity: 'high' as const, photoNote: 'IMG_1', reviewerComment: 'seen' },
      { note: 'Dust', severity: 'low' as const },
    ],
    address: { street: '1 High St', geo: { lat: 51.5, lng: -0.12 } },
    internal: { auditor: 'kim', flags: ['x'] },
  };
}

/** The same record as a device may hold and send it. */
export function deviceRecord() {
  const { riskScore: _r, internal: _i, ...rest } = serverRecord();
  return {
    ...rest,
    findings: [
      { note: 'Loose cable', severity: 'high' as const, photoNote: 'IMG_1' },
      { note: 'Dust', severity: 'low' as const },
    ],
  };
}
