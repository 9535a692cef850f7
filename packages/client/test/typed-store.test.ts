/**
 * The store, the sync engine and the client typed by the schema (the demo app's inspections):
 * records are checked against the device view of the declaration at compile time (a wrong field,
 * a wrong value type, a serverOnly field, an unknown or online-only collection do not compile)
 * and reads return the device type. The `@ts-expect-error` lines and `expectTypeOf` assertions
 * are enforced by the compiler (typed-store-typecheck.test.ts and the test type-check); the run
 * time is the same as an untyped store's, and still refuses what the types would have.
 */
import type { InferDeviceRecord, InferRecord } from '@bulwark/core/schema';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type auditNotes, inspections, schema } from '../../../apps/demo/schema.js';
import {
  BackendVaultStorage,
  type BulwarkClient,
  type CollectionSpec,
  createClient,
  type DeviceRecord,
  EncryptedStore,
  fromSchema,
  MemoryBackend,
  MemoryKeystore,
  type SchemaCollectionSpec,
  type SchemaCollections,
  type StoreCollectionName,
  type StoreRecord,
  SyncEngine,
  type Transport,
  Vault,
} from '../src/index.js';
import { createClient as createNodeClient } from '../src/node/index.js';

type InspectionOnDevice = DeviceRecord<typeof schema, 'inspections'>;

async function openStore() {
  const backend = new MemoryBackend();
  const vault = await Vault.open({
    keystore: new MemoryKeystore(),
    storage: new BackendVaultStorage(backend),
  });
  await vault.initialize();
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: schema.list.map((c) => fromSchema(c)),
  });
  return { backend, vault, store };
}

const inspection = {
  id: 'i1',
  site: 'Depot',
  inspector: 'u1',
  team: 'north',
  status: 'in_progress',
  scheduledAt: '2026-03-01T09:30:00Z',
  residentPhone: '+44 20 7946 0958',
  findings: [{ note: 'cracked beam', severity: 'high' }],
  photos: [],
} satisfies InspectionOnDevice;

describe('the device record type', () => {
  it('is the device view of the declaration: serverOnly fields absent, sensitive ones present', () => {
    expectTypeOf<InspectionOnDevice>().toEqualTypeOf<
      { readonly id: string } & InferDeviceRecord<typeof inspections> extends infer R
        ? { [K in keyof R]: R[K] }
        : never
    >();
    expectTypeOf<InspectionOnDevice>().toHaveProperty('residentPhone').toEqualTypeOf<string | undefined>();
    expectTypeOf<InspectionOnDevice>()
      .toHaveProperty('status')
      .toEqualTypeOf<'scheduled' | 'in_progress' | 'done'>();
    expectTypeOf<InspectionOnDevice>().not.toHaveProperty('riskScore');
    expectTypeOf<InspectionOnDevice>().not.toHaveProperty('internalNotes');
    expectTypeOf<InferRecord<typeof inspections>>().toHaveProperty('riskScore');
  });

  it('names only the offline collections', () => {
    expectTypeOf<StoreCollectionName<typeof schema>>().toEqualTypeOf<'inspections'>();
    // Untyped by default: any name, any record.
    expectTypeOf<StoreCollectionName<unknown>>().toEqualTypeOf<string>();
    expectTypeOf<DeviceRecord<unknown, 'x'>>().toEqualTypeOf<StoreRecord>();
  });

  it('comes from fromSchema through the store, the sync engine and back', async () => {
    const { store } = await openStore();
    expectTypeOf(fromSchema(inspections)).toEqualTypeOf<SchemaCollectionSpec<typeof inspections>>();
    expectTypeOf(store.get<'inspections'>).returns.resolves.toEqualTypeOf<InspectionOnDevice | undefined>();
    await store.close();
  });
});

describe('a client typed by its collections', () => {
  it('gives a store and a sync engine typed by the collections passed in', () => {
    type Specs = readonly [SchemaCollectionSpec<typeof inspections>];
    expectTypeOf(createClient<Specs>).returns.resolves.toEqualTypeOf<BulwarkClient<typeof inspections>>();
    expectTypeOf(createNodeClient<Specs>).returns.resolves.toEqualTypeOf<BulwarkClient<typeof inspections>>();
    expectTypeOf<BulwarkClient<typeof inspections>['store']>().toEqualTypeOf<
      EncryptedStore<typeof inspections>
    >();
    expectTypeOf<BulwarkClient<typeof inspections>['syncEngine']>().toEqualTypeOf<
      SyncEngine<typeof inspections>
    >();
    // Hand-written specs carry no field types: the client stays untyped.
    expectTypeOf(createClient<readonly CollectionSpec[]>).returns.resolves.toEqualTypeOf<
      BulwarkClient<unknown>
    >();
  });
});

describe('a store typed by the schema', () => {
  it('stores and reads device records, typed', async () => {
    const { store } = await openStore();
    await store.put('inspections', inspection);
    await store.putMany('inspections', [{ ...inspection, id: 'i2', status: 'done' }]);

    const read = await store.get('inspections', 'i1');
    expectTypeOf(read).toEqualTypeOf<InspectionOnDevice | undefined>();
    expect(read).toEqual(inspection);
    // A read's fields have their declared types: no cast needed to use them.
    expect(read?.findings[0]?.severity).toBe('high');

    const all = await store.all('inspections');
    expectTypeOf(all).toEqualTypeOf<InspectionOnDevice[]>();
    expect(all.map((r) => r.status)).toEqual(['in_progress', 'done']);

    const found = await store.find('inspections', { status: 'done' });
    expectTypeOf(found).toEqualTypeOf<InspectionOnDevice[]>();
    expect(found.map((r) => r.id)).toEqual(['i2']);

    for await (const record of store.iterate('inspections')) {
      expectTypeOf(record).toEqualTypeOf<InspectionOnDevice>();
    }
    await store.delete('inspections', 'i2');
    expect(await store.ids('inspections')).toEqual(['i1']);
    await store.close();
  });

  it('does not compile a wrong record or collection, which the run time refuses as well', async () => {
    const { store } = await openStore();
    // @ts-expect-error a field the declaration does not have
    await expect(store.put('inspections', { ...inspection, colour: 'red' })).rejects.toMatchObject({
      code: 'invalid_record',
    });
    // @ts-expect-error a value of the wrong type
    await expect(store.put('inspections', { ...inspection, status: 'closed' })).rejects.toMatchObject({
      code: 'invalid_record',
    });
    await expect(
      // @ts-expect-error a nested value of the wrong type
      store.put('inspections', { ...inspection, findings: [{ note: 'x', severity: 9 }] }),
    ).rejects.toMatchObject({ code: 'invalid_record' });
    // @ts-expect-error serverOnly: computed by the server, never sent by a device
    await expect(store.put('inspections', { ...inspection, riskScore: 3 })).rejects.toMatchObject({
      code: 'server_only_field',
    });
    await expect(
      // @ts-expect-error serverOnly, optional: still not part of the device record
      store.putMany('inspections', [{ ...inspection, internalNotes: 'escalate' }]),
    ).rejects.toMatchObject({ code: 'server_only_field' });
    const { site: _site, ...withoutSite } = inspection;
    // @ts-expect-error a required field missing
    await expect(store.put('inspections', withoutSite)).rejects.toMatchObject({ code: 'invalid_record' });
    // @ts-expect-error a collection the schema does not declare
    await expect(store.put('sites', { id: 's1' })).rejects.toMatchObject({ code: 'unknown_collection' });
    // @ts-expect-error an online-only collection (offline: false) never reaches a device's store
    await expect(store.get('audit_notes', 'n1')).rejects.toMatchObject({ code: 'unknown_collection' });
    // @ts-expect-error not a field of the collection
    await expect(store.find('inspections', { riskScore: 3 })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    // @ts-expect-error the filter's values have the fields' types
    await store.find('inspections', { status: 'closed' }).catch(() => undefined);
    expect(await store.ids('inspections')).toEqual([]);
    await store.close();
  });

  it('is the type a variable annotated with the schema’s collections holds', async () => {
    const { store } = await openStore();
    expectTypeOf(store).toEqualTypeOf<EncryptedStore<SchemaCollections<typeof schema>>>();
    const annotated: EncryptedStore<SchemaCollections<typeof schema>> = store;
    expectTypeOf(await annotated.all('inspections')).toEqualTypeOf<InspectionOnDevice[]>();
    await store.close();
  });

  it('is still accepted where an untyped store is expected', async () => {
    const { store } = await openStore();
    const untyped: EncryptedStore = store;
    await untyped.put('inspections', { ...inspection, anything: 1 }).catch(() => undefined);
    expectTypeOf(await untyped.get('inspections', 'i1')).toEqualTypeOf<StoreRecord | undefined>();
    await store.close();
  });
});

describe('a sync engine typed by its store', () => {
  it('queues device records of the schema only', async () => {
    const { store, vault } = await openStore();
    const transport = {} as Transport;
    const sync = await SyncEngine.open({ store, vault, transport });
    expectTypeOf(sync).toEqualTypeOf<SyncEngine<typeof inspections | typeof auditNotes>>();
    await sync.put('inspections', inspection);
    expect(await sync.pending()).toBe(1);
    expect(await store.get('inspections', 'i1')).toEqual(inspection);
    // @ts-expect-error serverOnly fields are not sent by a device
    await expect(sync.put('inspections', { ...inspection, riskScore: 1 })).rejects.toMatchObject({
      code: 'server_only_field',
    });
    // @ts-expect-error an online-only collection is not synced
    await expect(sync.delete('audit_notes', 'n1')).rejects.toMatchObject({ code: 'unknown_collection' });
    await sync.delete('inspections', 'i1');
    expect(await sync.pending()).toBe(2);
    await store.close();
  });
});
