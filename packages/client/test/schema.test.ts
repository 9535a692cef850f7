/**
 * Collections from the shared core schema: core's validator runs before anything is sealed,
 * serverOnly fields are refused, a sensitive field nested inside a plain one seals the whole
 * top-level field, and the collection's version is the schema version bound into ciphertexts.
 */
import { collection, t } from '@bulwark/core/schema';
import { describe, expect, it } from 'vitest';
import {
  BackendVaultStorage,
  EncryptedStore,
  fromSchema,
  MemoryBackend,
  MemoryKeystore,
  Vault,
} from '../src/index.js';

const inspections = collection('inspections', {
  version: 4,
  fields: {
    site: t.string({ maxLength: 50 }),
    status: t.enum(['open', 'closed']),
    residentPhone: t.string({ maxLength: 32 }).sensitive().optional(),
    visit: t.object({ when: t.dateTime(), note: t.string({ maxLength: 200 }).sensitive() }).optional(),
    riskScore: t.number({ min: 0, max: 100 }).serverOnly().optional(),
  },
});

async function open() {
  const backend = new MemoryBackend();
  const vault = await Vault.open({
    keystore: new MemoryKeystore(),
    storage: new BackendVaultStorage(backend),
  });
  await vault.initialize();
  const spec = fromSchema(inspections, { blindIndex: { residentPhone: true }, maxAgeMs: 86_400_000 });
  const store = await EncryptedStore.open({ backend, vault, collections: [spec] });
  return { backend, store, spec };
}

describe('collections from the core schema', () => {
  it('maps classes, version and options', async () => {
    const { spec } = await open();
    expect(spec.schemaVersion).toBe(4);
    expect(spec.fields).toEqual({
      site: { class: 'plain' },
      status: { class: 'plain' },
      residentPhone: { class: 'sensitive', blindIndex: true },
      visit: { class: 'sensitive' },
      riskScore: { class: 'serverOnly' },
    });
    expect(() => fromSchema(inspections, { blindIndex: { site: true } })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => fromSchema(inspections, { blindIndex: { nope: true } })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });

  it('validates with core before sealing and keeps nested sensitive values sealed', async () => {
    const { store, backend } = await open();
    const record = {
      id: 'i1',
      site: 'Depot',
      status: 'open' as const,
      residentPhone: '+44 20 7946 0958',
      visit: { when: '2025-03-01T09:30:00Z', note: 'dog in the yard' },
    };
    await store.put('inspections', record);
    expect(await store.get('inspections', 'i1')).toEqual(record);
    const raw = await backend.get('inspections', 'i1');
    expect(raw?.plain).toBe('{"site":"Depot","status":"open"}');
    expect(new TextDecoder('latin1').decode(raw?.sealed ?? new Uint8Array())).not.toContain(
      'dog in the yard',
    );
    // The typed store refuses these at compile time; the run-time validator refuses them too, for
    // records that bypass the types (parsed JSON, casts).
    // @ts-expect-error not one of the declared values
    await expect(store.put('inspections', { ...record, status: 'maybe' })).rejects.toMatchObject({
      code: 'invalid_record',
      problems: [{ path: '/status', reason: expect.any(String) }],
    });
    await expect(store.put('inspections', { ...record, site: 'x'.repeat(51) })).rejects.toMatchObject({
      code: 'invalid_record',
    });
    // @ts-expect-error serverOnly fields are not part of the device record
    await expect(store.put('inspections', { ...record, riskScore: 3 })).rejects.toMatchObject({
      code: 'server_only_field',
    });
    // @ts-expect-error status is required
    await expect(store.put('inspections', { id: 'i2', site: 'x' })).rejects.toMatchObject({
      code: 'invalid_record',
    });
    expect(await backend.get('inspections', 'i2')).toBeUndefined();
    expect((await store.find('inspections', { residentPhone: '+44 20 7946 0958' })).map((r) => r.id)).toEqual(
      ['i1'],
    );
  });
});
