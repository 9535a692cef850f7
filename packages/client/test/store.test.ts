import { describe, expect, it } from 'vitest';
import {
  type CollectionSpec,
  EncryptedStore,
  IndexedDbBackend,
  type StoreBackend,
  type StoredRecord,
  type WriteOp,
} from '../src/index.js';
import { collections, DAY, findings, openWorld, sites, storeSubjects } from './fakes/store-world.js';

const site = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Site ${id}`,
  status: 'open',
  visits: 2,
  residentPhone: `+44 20 7946 ${id.padStart(4, '0')}`,
  residentEmail: `Resident.${id}@Example.org`,
  notes: `gate code ${id}#`,
  ...extra,
});

function rawText(record: StoredRecord | undefined): string {
  if (record === undefined) return '';
  return [
    record.plain ?? '',
    new TextDecoder('latin1').decode(record.sealed ?? new Uint8Array()),
    ...record.terms,
  ].join('|');
}

function countingBackend(inner: StoreBackend): { backend: StoreBackend; writes: number[] } {
  const writes: number[] = [];
  const write = async (ops: readonly WriteOp[]) => {
    writes.push(ops.length);
    return inner.write(ops);
  };
  const backend = new Proxy(inner, {
    get(target, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { backend, writes };
}

describe.each(storeSubjects)('encrypted store on $name', (subject) => {
  it('round-trips records in field mode and whole-record mode', async () => {
    const { store } = await openWorld(subject);
    await store.put('sites', site('1'));
    await store.put('findings', { id: 'f1', title: 'Cracked beam', detail: 'north wall, 3 m', severity: 2 });
    expect(await store.get('sites', '1')).toEqual(site('1'));
    expect(await store.get('findings', 'f1')).toEqual({
      id: 'f1',
      title: 'Cracked beam',
      detail: 'north wall, 3 m',
      severity: 2,
    });
    expect(await store.get('sites', 'missing')).toBeUndefined();
    await store.put('sites', { id: 'p', name: 'plain only' });
    expect(await store.get('sites', 'p')).toEqual({ id: 'p', name: 'plain only' });
  });

  it('keeps sensitive values out of what the backend stores, and everything in whole-record mode', async () => {
    const { store, backend } = await openWorld(subject);
    await store.put('sites', site('7'));
    await store.put('findings', { id: 'f7', title: 'Loose rail', detail: 'stairwell B', severity: 1 });
    const raw = rawText(await backend.get('sites', '7'));
    for (const value of ['+44 20 7946 0007', 'Resident.7@Example.org', 'gate code 7#'])
      expect(raw).not.toContain(value);
    expect(raw).toContain('Site 7');
    const whole = await backend.get('findings', 'f7');
    expect(whole?.plain).toBeNull();
    for (const value of ['Loose rail', 'stairwell B', 'severity'])
      expect(rawText(whole)).not.toContain(value);
  });

  it('refuses serverOnly fields, unknown fields, bad ids and undeclared or online-only collections, storing nothing', async () => {
    const { store, backend } = await openWorld(subject);
    await expect(store.put('sites', site('1', { riskScore: 91 }))).rejects.toMatchObject({
      code: 'server_only_field',
      fields: ['riskScore'],
    });
    const error = await store.put('sites', site('1', { riskScore: 91 })).catch((e: unknown) => e);
    expect((error as Error).message).not.toContain('91');
    await expect(store.putMany('sites', [site('2'), site('3', { riskScore: 1 })])).rejects.toMatchObject({
      code: 'server_only_field',
    });
    await expect(store.put('sites', site('4', { colour: 'red' }))).rejects.toMatchObject({
      code: 'invalid_record',
      problems: [{ path: 'colour', reason: 'unknown_field' }],
    });
    await expect(
      store.put('sites', JSON.parse('{"id":"5","__proto__":{"polluted":true}}')),
    ).rejects.toMatchObject({
      code: 'invalid_record',
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const id of ['', 'a b', 'x/y', 'é', 'a'.repeat(129)]) {
      await expect(store.put('sites', site('1', { id }))).rejects.toMatchObject({ code: 'invalid_record' });
    }
    await expect(store.put('archive', { id: 'a1', body: 'x' })).rejects.toMatchObject({
      code: 'unknown_collection',
    });
    await expect(store.put('nope', { id: 'a1' })).rejects.toMatchObject({ code: 'unknown_collection' });
    for (const id of ['1', '2', '3', '4', '5']) expect(await backend.get('sites', id)).toBeUndefined();
    expect(await backend.list('archive')).toEqual([]);
  });

  it('refuses a ciphertext moved to another record, collection or schema version', async () => {
    const { store, backend, vault, clock } = await openWorld(subject);
    await store.put('sites', site('a'));
    await store.put('sites', site('b'));
    const a = (await backend.get('sites', 'a')) as StoredRecord;
    await backend.write([{ kind: 'put', record: { ...a, id: 'b' } }]);
    await expect(store.get('sites', 'b')).rejects.toMatchObject({ code: 'decryption_failed' });
    await store.put('findings', { id: 'f', title: 't', detail: 'd' });
    const f = (await backend.get('findings', 'f')) as StoredRecord;
    await backend.write([{ kind: 'put', record: { ...f, collection: 'sites', id: 'f', plain: '{}' } }]);
    await expect(store.get('sites', 'f')).rejects.toMatchObject({ code: 'decryption_failed' });
    const newer = await EncryptedStore.open({
      backend,
      vault,
      clock,
      collections: [{ ...sites, schemaVersion: 2 }],
      sealer: subject.sealer,
    });
    await expect(newer.get('sites', 'a')).rejects.toMatchObject({ code: 'decryption_failed' });
  });

  it('refuses a stored record whose clear part claims a sensitive or unknown field', async () => {
    const { store, backend } = await openWorld(subject);
    await store.put('sites', site('c'));
    const c = (await backend.get('sites', 'c')) as StoredRecord;
    await backend.write([{ kind: 'put', record: { ...c, plain: '{"name":"x","notes":"injected"}' } }]);
    await expect(store.get('sites', 'c')).rejects.toMatchObject({ code: 'corrupt_data' });
    await backend.write([{ kind: 'put', record: { ...c, plain: '{"__proto__":{"polluted":1}}' } }]);
    await expect(store.get('sites', 'c')).rejects.toMatchObject({ code: 'corrupt_data' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('finds records by blind index, case-insensitively where declared, and by plain fields', async () => {
    const { store } = await openWorld(subject);
    await store.putMany('sites', [
      site('1'),
      site('2', { residentPhone: '+44 20 7946 0001', status: 'closed' }),
      site('3'),
    ]);
    const byPhone = await store.find('sites', { residentPhone: '+44 20 7946 0001' });
    expect(byPhone.map((r) => r.id)).toEqual(['1', '2']);
    expect(
      (await store.find('sites', { residentPhone: '+44 20 7946 0001', status: 'closed' })).map((r) => r.id),
    ).toEqual(['2']);
    expect((await store.find('sites', { residentEmail: 'RESIDENT.3@example.ORG' })).map((r) => r.id)).toEqual(
      ['3'],
    );
    expect(await store.find('sites', { residentPhone: '+44 20 7946 9999' })).toEqual([]);
    expect((await store.find('sites', { status: 'open' })).map((r) => r.id)).toEqual(['1', '3']);
    await expect(store.find('sites', { notes: 'gate code 1#' })).rejects.toMatchObject({
      code: 'field_not_queryable',
    });
    await expect(store.find('sites', { riskScore: 1 })).rejects.toMatchObject({ code: 'invalid_argument' });
    await store.put('sites', site('1', { residentPhone: '+1 555 0100' }));
    expect((await store.find('sites', { residentPhone: '+44 20 7946 0001' })).map((r) => r.id)).toEqual([
      '2',
    ]);
    await store.delete('sites', '2');
    expect(await store.find('sites', { residentPhone: '+44 20 7946 0001' })).toEqual([]);
  });

  it('hides and purges records older than the maximum age', async () => {
    const { store, clock, backend } = await openWorld(subject);
    await store.put('sites', site('old'));
    await store.put('findings', { id: 'kept', title: 't', detail: 'd' });
    clock.advance(20 * DAY);
    await store.put('sites', site('new'));
    clock.advance(11 * DAY);
    expect(await store.get('sites', 'old')).toBeUndefined();
    expect((await store.all('sites')).map((r) => r.id)).toEqual(['new']);
    expect(await store.find('sites', { residentPhone: site('old').residentPhone })).toEqual([]);
    expect(await store.purgeExpired()).toBe(1);
    expect(await backend.get('sites', 'old')).toBeUndefined();
    expect(await store.get('sites', 'new')).toBeDefined();
    expect(await store.get('findings', 'kept')).toBeDefined();
  });

  it('bulk-writes in batches, one transaction each, and reads back in id order', async () => {
    const world = await openWorld(subject);
    const { backend, writes } = countingBackend(world.backend);
    const store = await EncryptedStore.open({
      backend,
      vault: world.vault,
      collections,
      batchSize: 100,
      clock: world.clock,
      sealer: subject.sealer,
    });
    const records = Array.from({ length: 250 }, (_, i) => site(String(i).padStart(4, '0')));
    await store.putMany('sites', [...records].reverse());
    expect(writes).toEqual([100, 100, 50]);
    const all = await store.all('sites');
    expect(all).toHaveLength(250);
    expect(all.map((r) => r.id)).toEqual(records.map((r) => r.id));
    expect(all[123]).toEqual(records[123]);
  });

  it('applies a batch completely or not at all', async () => {
    const { backend } = await openWorld(subject);
    const good: StoredRecord = {
      collection: 'sites',
      id: 'g',
      storedAt: 1,
      keyId: null,
      plain: '{}',
      sealed: null,
      terms: [],
    };
    const bad = { ...good, collection: undefined as unknown as string, id: undefined as unknown as string };
    await expect(
      backend.write([
        { kind: 'put', record: good },
        { kind: 'put', record: bad },
      ]),
    ).rejects.toBeDefined();
    expect(await backend.get('sites', 'g')).toBeUndefined();
  });

  it('re-encrypts under a rotated data key, keeps blind-index queries working, then retires the old key', async () => {
    const { store, vault, backend } = await openWorld(subject, { batchSize: 7 });
    await store.putMany(
      'sites',
      Array.from({ length: 20 }, (_, i) => site(String(i))),
    );
    await store.put('findings', { id: 'f', title: 't', detail: 'd' });
    const [oldKey] = vault.dataKeyIds;
    const newKey = await vault.rotateDataKey();
    await store.put('sites', site('new'));
    expect((await store.find('sites', { residentPhone: site('3').residentPhone })).map((r) => r.id)).toEqual([
      '3',
    ]);
    expect(await store.reencrypt()).toBe(21);
    expect(await backend.staleKeys(newKey, 100)).toEqual([]);
    await vault.retireDataKey(oldKey as string);
    expect(await store.get('sites', '3')).toEqual(site('3'));
    expect(await store.get('findings', 'f')).toEqual({ id: 'f', title: 't', detail: 'd' });
    expect((await store.find('sites', { residentPhone: site('3').residentPhone })).map((r) => r.id)).toEqual([
      '3',
    ]);
  });

  it('re-encrypts only its own collections and never deletes rows of another view; each view moves its own before retirement', async () => {
    const { store, vault, backend } = await openWorld(subject, { batchSize: 3 });
    const queue: CollectionSpec = {
      name: 'queue',
      schemaVersion: 1,
      wholeRecord: true,
      fields: { entry: { class: 'sensitive' } },
    };
    const view = await EncryptedStore.open({
      backend,
      vault,
      collections: [queue],
      destroyOnWipe: false,
      sealer: subject.sealer,
    });
    await store.putMany(
      'sites',
      Array.from({ length: 5 }, (_, i) => site(String(i))),
    );
    await view.putMany(
      'queue',
      Array.from({ length: 4 }, (_, i) => ({ id: `q${i}`, entry: { edit: i } })),
    );
    const [oldKey] = vault.dataKeyIds;
    const newKey = await vault.rotateDataKey();
    expect(await store.reencrypt()).toBe(5);
    expect((await view.all('queue')).map((r) => r.id)).toEqual(['q0', 'q1', 'q2', 'q3']);
    expect(await backend.staleKeys(newKey, 100, 'sites')).toEqual([]);
    expect(await backend.staleKeys(newKey, 100, 'queue')).toHaveLength(4);
    await vault.retireDataKey(oldKey as string);
    expect(await backend.staleKeys(newKey, 100)).toEqual([]);
    expect(await view.get('queue', 'q2')).toEqual({ id: 'q2', entry: { edit: 2 } });
    expect(await store.get('sites', '4')).toEqual(site('4'));
  });

  it('refuses every operation while the vault is locked', async () => {
    const { store, vault } = await openWorld(subject);
    await store.put('sites', site('1'));
    vault.lock();
    await expect(store.get('sites', '1')).rejects.toMatchObject({ code: 'vault_locked' });
    await expect(store.put('sites', site('2'))).rejects.toMatchObject({ code: 'vault_locked' });
    await expect(store.find('sites', { status: 'open' })).rejects.toMatchObject({ code: 'vault_locked' });
    await expect(store.all('sites')).rejects.toMatchObject({ code: 'vault_locked' });
    await vault.unlock();
    expect(await store.get('sites', '1')).toEqual(site('1'));
  });

  it('destroys the data when the vault is wiped', async () => {
    const { store, vault, backend } = await openWorld(subject);
    await store.put('sites', site('1'));
    await vault.wipe();
    await expect(store.get('sites', '1')).rejects.toMatchObject({ code: 'vault_wiped' });
    if (subject.name === 'memory') expect(await backend.list('sites')).toEqual([]);
  });
});

describe('collection declarations', () => {
  it('refuses malformed specs', async () => {
    const { vault, backend } = await openWorld(storeSubjects[0] as (typeof storeSubjects)[0]);
    const bad = [
      { ...sites, name: '1bad' },
      { ...sites, schemaVersion: 1.5 },
      { ...sites, maxAgeMs: -1 },
      { ...sites, fields: { id: { class: 'plain' as const } } },
      { ...sites, fields: { x: { class: 'plain' as const, blindIndex: true } } },
    ];
    for (const spec of bad) {
      await expect(EncryptedStore.open({ backend, vault, collections: [spec] })).rejects.toMatchObject({
        code: 'invalid_argument',
      });
    }
    await expect(
      EncryptedStore.open({ backend, vault, collections: [findings, findings] }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});

describe('IndexedDB backend across tabs', () => {
  it('lets a wipe in one tab delete the database that another tab holds open', async () => {
    const databaseName = `tabs-${Date.now()}`;
    const tabA = await IndexedDbBackend.open({ databaseName });
    const tabB = await IndexedDbBackend.open({ databaseName });
    await tabA.write([
      {
        kind: 'put',
        record: {
          collection: 'sites',
          id: 'x',
          storedAt: 1,
          keyId: null,
          plain: '{}',
          sealed: null,
          terms: [],
        },
      },
    ]);
    expect(await tabB.get('sites', 'x')).toBeDefined();
    await tabA.destroy();
    const fresh = await IndexedDbBackend.open({ databaseName });
    expect(await fresh.get('sites', 'x')).toBeUndefined();
    await fresh.close();
  });
});
