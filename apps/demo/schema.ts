/**
 * The demo app's schema: site inspections done offline by field inspectors. Shared by the server
 * (bulwark.config.ts) and the app (the client SDK validates and encrypts with the same
 * declaration). It imports only `@bulwark/core/schema`, so the app bundle carries no server code.
 */
import { collection, defineSchema, t } from '@bulwark/core/schema';

/** One inspection of a site, assigned to an inspector of a team; synced to the inspector's devices. */
export const inspections = collection('inspections', {
  offline: true,
  version: 1,
  description: 'Site inspections, assigned to an inspector of a team.',
  fields: {
    site: t.string({ minLength: 1, maxLength: 200 }).describe('Site name'),
    address: t.string({ maxLength: 500 }).optional(),
    inspector: t.string({ minLength: 1, maxLength: 36 }).describe('User id of the assigned inspector'),
    team: t.string({ minLength: 1, maxLength: 100 }).describe('Team that owns the inspection'),
    status: t.enum(['scheduled', 'in_progress', 'done']),
    scheduledAt: t.dateTime(),
    residentPhone: t
      .string({ maxLength: 32, pattern: /\+?[0-9 ]{6,20}/ })
      .sensitive()
      .optional()
      .describe('Phone number of the resident; stored on devices only encrypted'),
    findings: t.array(
      t.object({
        note: t.string({ maxLength: 2000 }),
        severity: t.enum(['low', 'medium', 'high']),
      }),
      { maxItems: 100 },
    ),
    photos: t.array(
      t.object({
        name: t.string({ minLength: 1, maxLength: 200 }),
        contentType: t.enum(['image/jpeg', 'image/png', 'image/heic']),
        bytes: t.integer({ min: 0, max: 50_000_000 }),
        takenAt: t.dateTime(),
      }),
      { maxItems: 50 },
    ),
    riskScore: t
      .number({ min: 0, max: 100 })
      .serverOnly()
      .describe('Computed by the server from the findings'),
    internalNotes: t.string({ maxLength: 5000 }).serverOnly().optional(),
  },
});

/** Notes of the audit team about an inspection: served online only, never stored on a device. */
export const auditNotes = collection('audit_notes', {
  offline: false,
  version: 1,
  description: 'Audit remarks; online only.',
  fields: {
    inspectionId: t.string({ minLength: 1, maxLength: 36 }),
    team: t.string({ minLength: 1, maxLength: 100 }),
    text: t.string({ minLength: 1, maxLength: 5000 }),
  },
});

/** The demo app's schema. */
export const schema = defineSchema({ version: 1, collections: [inspections, auditNotes] });
