/**
 * The records the store benchmarks write: a site with three plain fields and two that the
 * field-level mode seals (a phone number and a free-text note), the same in every benchmark so
 * that their figures compare.
 */
import type { CollectionSpec, StoreRecord } from '@bulwark/client';

/**
 * The `sites` collection: `plain` declares every field plain, `field` seals the phone and the
 * note, `record` seals the whole record.
 *
 * @example
 * ```ts
 * const store = await EncryptedStore.open({ backend, vault, collections: [siteSpec('field')] });
 * ```
 */
export function siteSpec(mode: 'plain' | 'field' | 'record'): CollectionSpec {
  const sensitive = mode === 'plain' ? 'plain' : 'sensitive';
  return {
    name: 'sites',
    schemaVersion: 1,
    ...(mode === 'record' ? { wholeRecord: true } : {}),
    fields: {
      name: { class: 'plain' },
      status: { class: 'plain' },
      visits: { class: 'plain' },
      residentPhone: { class: sensitive },
      notes: { class: sensitive },
    },
  };
}

/**
 * Site number `i` (its id sorts in order of `i`).
 *
 * @example
 * ```ts
 * siteRecord(7).id; // 'rec-0000007'
 * ```
 */
export function siteRecord(i: number): StoreRecord {
  return {
    id: `rec-${String(i).padStart(7, '0')}`,
    name: `Site ${i} on Harbour Road`,
    status: i % 3 === 0 ? 'closed' : 'open',
    visits: i % 17,
    residentPhone: `+44 20 7946 ${String(i % 10_000).padStart(4, '0')}`,
    notes: `gate code ${i % 9999}, dog in the yard, ask for Mrs ${i % 97}`,
  };
}
