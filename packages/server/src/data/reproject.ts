/**
 * Keeps the stored projections in step with the configuration. Each record stores its device
 * projection and its rule attributes beside the full record (docs/storage.md); when a collection's
 * declaration changes what a device sees (a field becomes serverOnly) or which fields rules may
 * read, every live record of that collection is projected again at start-up, before the first
 * request is served. The fingerprint of the last projection is kept in `bulwark_meta`. Likewise
 * the record keys (rules/keys.ts) are rebuilt when a collection's key fields change (and once
 * after the upgrade that introduced them); that changes no device's data, so no device re-syncs.
 */
import { deviceView } from '@bulwark/core/schema';
import type { Kysely } from 'kysely';
import type { CollectionModel, DataModel } from '../config/model.js';
import type { Database } from '../db/schema.js';
import { attrsJson } from '../rules/attrs.js';
import { keyRows } from './store.js';

const BATCH = 500;

async function reprojectCollection(db: Kysely<Database>, model: CollectionModel): Promise<number> {
  let after = '';
  let count = 0;
  for (;;) {
    const rows = await db
      .selectFrom('records')
      .select(['id', 'data'])
      .where('collection', '=', model.name)
      .where('deleted_at', 'is', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) return count;
    await db.transaction().execute(async (trx) => {
      for (const row of rows) {
        const record = JSON.parse(row.data ?? '{}') as Record<string, unknown>;
        await trx
          .updateTable('records')
          .set({
            device: JSON.stringify(deviceView(model.collection, record)),
            attrs: attrsJson(record, model.attrFields),
          })
          .where('collection', '=', model.name)
          .where('id', '=', row.id)
          .execute();
      }
    });
    count += rows.length;
    after = (rows.at(-1) as { id: string }).id;
  }
}

async function rebuildKeys(db: Kysely<Database>, model: CollectionModel): Promise<number> {
  await db.deleteFrom('record_keys').where('collection', '=', model.name).execute();
  if (model.keyFields.length === 0) return 0;
  let after = -1;
  let count = 0;
  for (;;) {
    const rows = await db
      .selectFrom('records')
      .select(['seq', 'owner', 'data'])
      .where('collection', '=', model.name)
      .where('deleted_at', 'is', null)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) return count;
    const keys = rows.flatMap((row) =>
      keyRows(model, Number(row.seq), row.owner, JSON.parse(row.data ?? '{}') as Record<string, unknown>),
    );
    await db.transaction().execute(async (trx) => {
      // Two nodes starting together may rebuild at once: the same rows, so a duplicate is no error.
      for (let i = 0; i < keys.length; i += BATCH) {
        await trx
          .insertInto('record_keys')
          .values(keys.slice(i, i + BATCH))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    });
    count += rows.length;
    after = Number((rows.at(-1) as { seq: number }).seq);
  }
}

/**
 * Rebuilds the record keys of the collections whose key fields changed; returns how many records
 * were indexed per collection.
 *
 * @example
 * ```ts
 * await rebuildChangedKeys(db, model); // {} on an unchanged configuration
 * ```
 */
export async function rebuildChangedKeys(
  db: Kysely<Database>,
  model: DataModel,
): Promise<Record<string, number>> {
  const done: Record<string, number> = {};
  for (const c of model.collections.values()) {
    const key = `data_keys:${c.name}`;
    const row = await db.selectFrom('bulwark_meta').select('value').where('key', '=', key).executeTakeFirst();
    if (row?.value === c.keyFingerprint) continue;
    done[c.name] = await rebuildKeys(db, c);
    await db
      .insertInto('bulwark_meta')
      .values({ key, value: c.keyFingerprint })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: c.keyFingerprint }))
      .execute();
  }
  return done;
}

/**
 * Re-projects the collections whose storage fingerprint changed; returns how many records were
 * rewritten per collection.
 *
 * @example
 * ```ts
 * await reprojectChanged(db, model); // { inspections: 0 } on an unchanged configuration
 * ```
 */
export async function reprojectChanged(
  db: Kysely<Database>,
  model: DataModel,
): Promise<Record<string, number>> {
  const done: Record<string, number> = {};
  for (const c of model.collections.values()) {
    const key = `data_projection:${c.name}`;
    const row = await db.selectFrom('bulwark_meta').select('value').where('key', '=', key).executeTakeFirst();
    if (row?.value === c.storageFingerprint) continue;
    done[c.name] = await reprojectCollection(db, c);
    await db
      .insertInto('bulwark_meta')
      .values({ key, value: c.storageFingerprint })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: c.storageFingerprint }))
      .execute();
  }
  return done;
}
