/**
 * Static types inferred from declarations. The assertions are checked by the TypeScript compiler
 * (typecheck.test.ts compiles this file); the `@ts-expect-error` lines prove that wrong records do
 * not type-check. At run time the file also checks that typed results carry the same values.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  collection,
  type Field,
  type InferDevicePatch,
  type InferDeviceRecord,
  type InferRecord,
  t,
  validate,
} from '../../src/schema/index.js';
import { inspections } from './lib/fixtures.js';

type Inspection = InferRecord<typeof inspections>;
type InspectionOnDevice = InferDeviceRecord<typeof inspections>;

type Finding = {
  note: string;
  severity: 'low' | 'high';
  photoNote?: string;
  reviewerComment?: string;
};
type Address = { street: string; geo?: { lat: number; lng: number } };

describe('inferred record types', () => {
  it('the server record has every field, optional ones optional', () => {
    expectTypeOf<Inspection>().toEqualTypeOf<{
      site: string;
      residentPhone: string;
      riskScore: number;
      status: 'open' | 'closed';
      visits: number;
      done: boolean;
      findings: Finding[];
      dueAt?: string;
      notes?: string | null;
      address?: Address;
      internal?: { auditor: string; flags: string[] };
    }>();
  });

  it('the device record drops serverOnly fields at every depth', () => {
    expectTypeOf<InspectionOnDevice>().toEqualTypeOf<{
      site: string;
      residentPhone: string;
      status: 'open' | 'closed';
      visits: number;
      done: boolean;
      findings: { note: string; severity: 'low' | 'high'; photoNote?: string }[];
      dueAt?: string;
      notes?: string | null;
      address?: Address;
    }>();
    expectTypeOf<InspectionOnDevice>().not.toHaveProperty('riskScore');
    expectTypeOf<InspectionOnDevice>().not.toHaveProperty('internal');
  });

  it('patches are partial device records', () => {
    expectTypeOf<InferDevicePatch<typeof inspections>>().toEqualTypeOf<Partial<InspectionOnDevice>>();
    // @ts-expect-error: a device patch cannot carry a serverOnly field
    const patch: InferDevicePatch<typeof inspections> = { riskScore: 3 };
    void patch;
  });

  it('a collection carries its offline flag as a literal type', () => {
    const fields = { body: t.string() };
    expectTypeOf(collection('synced', { fields }).offline).toEqualTypeOf<true>();
    expectTypeOf(collection('online_only', { offline: false, fields }).offline).toEqualTypeOf<false>();
    const flag: boolean = Math.random() < 2;
    expectTypeOf(collection('either', { offline: flag, fields }).offline).toEqualTypeOf<boolean>();
  });

  it('field builders carry their types', () => {
    expectTypeOf(t.string()).toEqualTypeOf<Field<string>>();
    expectTypeOf(t.enum(['a', 'b'])).toEqualTypeOf<Field<'a' | 'b'>>();
    expectTypeOf(t.integer().nullable().optional()).toEqualTypeOf<
      Field<number | null, number | null, true>
    >();
    expectTypeOf(t.boolean().serverOnly()).toEqualTypeOf<Field<boolean, boolean, false, 'serverOnly'>>();
    expectTypeOf(t.array(t.dateTime()).sensitive()).toEqualTypeOf<
      Field<string[], string[], false, 'sensitive'>
    >();
  });

  it('validate() types its value by mode and source', () => {
    const device = validate(inspections, {}, { mode: 'create', source: 'device' });
    if (device.ok) expectTypeOf(device.value).toEqualTypeOf<InspectionOnDevice>();
    const server = validate(inspections, {}, { source: 'server' });
    if (server.ok) expectTypeOf(server.value).toEqualTypeOf<Inspection>();
    const patch = validate(inspections, {}, { mode: 'patch' });
    if (patch.ok) expectTypeOf(patch.value).toEqualTypeOf<Partial<InspectionOnDevice>>();
    const defaults = validate(inspections, {});
    if (defaults.ok) expectTypeOf(defaults.value).toEqualTypeOf<InspectionOnDevice>();
    if (!defaults.ok)
      expectTypeOf(defaults.issues[0]?.code).toEqualTypeOf<
        | 'required'
        | 'unknown_field'
        | 'forbidden_key'
        | 'wrong_type'
        | 'invalid_unicode'
        | 'too_short'
        | 'too_long'
        | 'too_small'
        | 'too_large'
        | 'not_finite'
        | 'not_integer'
        | 'pattern_mismatch'
        | 'not_in_enum'
        | 'invalid_date_time'
        | 'too_few_items'
        | 'too_many_items'
        | 'server_only'
        | 'unreadable'
        | 'too_many_issues'
        | undefined
      >();
  });

  it('wrong records do not type-check', () => {
    const base: InspectionOnDevice = {
      site: 's',
      residentPhone: '+1 555 0100',
      status: 'open',
      visits: 0,
      done: false,
      findings: [],
    };
    // @ts-expect-error: status is an enum
    const badStatus: InspectionOnDevice = { ...base, status: 'archived' };
    // @ts-expect-error: serverOnly fields are not part of the device record
    const withRisk: InspectionOnDevice = { ...base, riskScore: 1 };
    // @ts-expect-error: required fields are required
    const missing: InspectionOnDevice = { status: 'open' };
    // @ts-expect-error: exactOptionalPropertyTypes: optional means absent, not undefined
    const undef: InspectionOnDevice = { ...base, dueAt: undefined };
    void [badStatus, withRisk, missing, undef];
  });
});
