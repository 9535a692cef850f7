/**
 * Sync push (docs/sync.md): a batch of mutations, each with a client mutation id. Each mutation
 * goes through the same write path as the data API (validation, rules, hooks) on its own, and is
 * answered on its own: applied (new version), rejected (code and per-field reasons) or conflict
 * (the server's version and device projection). The answer is stored with the mutation id (in the
 * same transaction as the write when there is one), so a retry of a mutation whose answer was lost
 * gets the first answer, byte for byte, and is never applied twice.
 */
import type { PushResult, PushMutation as WirePushMutation } from '@bulwark/core/protocol';
import type { Kysely, Transaction } from 'kysely';
import type { CollectionModel, DataModel } from '../config/model.js';
import type { ServerContext } from '../context.js';
import { isNewRecordId } from '../data/ids.js';
import type { StoredRecord } from '../data/store.js';
import {
  createRecord,
  deleteRecord,
  updateRecord,
  WriteBatch,
  type WriteOutcome,
  type WriteScope,
} from '../data/write.js';
import type { Database } from '../db/schema.js';
import type { ProblemIssue } from '../http/problem.js';
import type { Claims } from '../rules/rule.js';

/** One mutation as the device sends it; its record is checked before its shape is trusted. */
export type PushMutation = WirePushMutation<unknown>;

/** Who pushes. */
export interface PushScope {
  readonly ctx: ServerContext;
  readonly model: DataModel;
  readonly claims: Claims;
  readonly deviceId: string;
}

/**
 * The rules of a push body that its route schema does not state, because they tie one member to
 * another: an upsert carries its record and a delete none, and the id of a record created on the
 * device (an upsert on no base version) is a random version 4 UUID. Returns the issues that make
 * the whole request a 400 (none when the mutations may be applied).
 *
 * @example
 * ```ts
 * const issues = crossFieldIssues(request.body.mutations);
 * if (issues.length > 0) throw new HttpProblem(400, 'invalid_request', '…', { issues });
 * ```
 */
export function crossFieldIssues(mutations: readonly PushMutation[]): ProblemIssue[] {
  const issues: ProblemIssue[] = [];
  const fail = (path: string, message: string) => {
    if (issues.length < 50) issues.push({ path, code: 'invalid', message });
  };
  for (const [i, m] of mutations.entries()) {
    const at = `/mutations/${i}`;
    if (m.op === 'upsert' && m.baseVersion === null && !isNewRecordId(m.id)) {
      fail(`${at}/id`, 'a new record id must be a random UUID (version 4)');
    }
    if (m.op === 'upsert' && !Object.hasOwn(m, 'record')) fail(`${at}/record`, 'an upsert needs the record');
    if (m.op === 'delete' && Object.hasOwn(m, 'record')) fail(`${at}/record`, 'a delete carries no record');
  }
  return issues;
}

function conflictOf(mutationId: string, collection: CollectionModel, current: StoredRecord): PushResult {
  // Only an offline collection's record may reach a device through sync (apply() refuses the
  // others before any read; this keeps it so if that ever changes).
  if (!collection.offline || current.deletedAt !== null || current.device === null) {
    return { mutationId, status: 'conflict', serverVersion: current.version };
  }
  return {
    mutationId,
    status: 'conflict',
    serverVersion: current.version,
    serverRecord: JSON.parse(current.device) as Record<string, unknown>,
  };
}

function resultOf(mutationId: string, collection: CollectionModel, outcome: WriteOutcome): PushResult {
  switch (outcome.kind) {
    case 'applied':
      return { mutationId, status: 'applied', version: outcome.record.version };
    case 'conflict':
      return conflictOf(mutationId, collection, outcome.current);
    case 'rejected':
      return outcome.issues === undefined
        ? { mutationId, status: 'rejected', code: outcome.code }
        : { mutationId, status: 'rejected', code: outcome.code, issues: outcome.issues };
  }
}

async function apply(scope: PushScope, batch: WriteBatch, m: PushMutation): Promise<PushResult> {
  const collection = scope.model.collections.get(m.collection);
  if (collection === undefined)
    return { mutationId: m.mutationId, status: 'rejected', code: 'unknown_collection' };
  if (!collection.offline) {
    return { mutationId: m.mutationId, status: 'rejected', code: 'collection_not_synced' };
  }
  const write: WriteScope = {
    ctx: scope.ctx,
    model: collection,
    claims: scope.claims,
    deviceId: scope.deviceId,
    batch,
  };
  let outcome: WriteOutcome;
  if (m.op === 'delete') {
    outcome = await deleteRecord(write, m.id, {
      expectedVersion: m.baseVersion ?? undefined,
      tombstoneApplied: true,
    });
  } else if (m.baseVersion === null) {
    outcome = await createRecord(write, m.record, m.id);
  } else {
    outcome = await updateRecord(write, m.id, m.record, {
      mode: 'replace',
      expectedVersion: m.baseVersion,
      tombstoneConflict: true,
    });
  }
  return resultOf(m.mutationId, collection, outcome);
}

/**
 * The stored answers to some mutation ids, exactly as they were first sent. Nothing of the
 * retried mutations is read: a mutation id names an answer, and a "retry" that names another
 * collection or record must not turn that answer into a read of it.
 */
async function storedAnswers(
  db: Kysely<Database> | Transaction<Database>,
  deviceId: string,
  mutationIds: readonly string[],
): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  for (let i = 0; i < mutationIds.length; i += ID_CHUNK) {
    const rows = await db
      .selectFrom('sync_mutations')
      .select(['mutation_id', 'result'])
      .where('device_id', '=', deviceId)
      .where('mutation_id', 'in', mutationIds.slice(i, i + ID_CHUNK))
      .execute();
    for (const row of rows) answers.set(row.mutation_id, row.result);
  }
  return answers;
}

const ID_CHUNK = 200;

/**
 * Applies a batch of mutations in order and answers each. The whole request is one transaction:
 * each mutation is still checked and answered on its own (a rejected or conflicting one writes
 * nothing), and every answer is stored with the writes, so a retry of any of them gets its first
 * answer. The batch holds the change counter from its start (writers queue behind it), and one
 * commit (one disk flush) serves the whole request.
 *
 * @example
 * ```ts
 * const results = await push(scope, parsed.mutations);
 * ```
 */
export async function push(scope: PushScope, mutations: readonly PushMutation[]): Promise<PushResult[]> {
  const { ctx, deviceId } = scope;
  const nowMs = ctx.now().getTime();
  await ctx.db
    .deleteFrom('sync_mutations')
    .where('device_id', '=', deviceId)
    .where('created_at', '<', nowMs - scope.model.sync.mutationRetentionSeconds * 1000)
    .execute();
  const ids = [...new Set(mutations.map((m) => m.mutationId))];
  const known = await storedAnswers(ctx.db, deviceId, ids);
  const results: (PushResult | string)[] = [];
  const fresh = new Map<string, string>();
  if (mutations.some((m) => !known.has(m.mutationId))) {
    await ctx.db.transaction().execute(async (trx) => {
      const batch = await WriteBatch.start(trx);
      // The ids the creates propose, looked up together (almost always free: random UUIDs).
      const proposed = new Map<string, string[]>();
      for (const m of mutations) {
        if (m.op !== 'upsert' || m.baseVersion !== null || known.has(m.mutationId)) continue;
        proposed.set(m.collection, [...(proposed.get(m.collection) ?? []), m.id]);
      }
      for (const [collection, ids] of proposed) await batch.lookUpFree(collection, ids);
      for (const m of mutations) {
        // A retry (or the same id twice in one request) gets the first answer, byte for byte.
        const first = known.get(m.mutationId) ?? fresh.get(m.mutationId);
        if (first !== undefined) {
          results.push(first);
          continue;
        }
        const result = await apply(scope, batch, m);
        fresh.set(m.mutationId, JSON.stringify(result));
        results.push(result);
      }
      await batch.finish();
      const rows = [...fresh].map(([mutation_id, result]) => ({
        device_id: deviceId,
        mutation_id,
        result,
        created_at: nowMs,
      }));
      for (let i = 0; i < rows.length; i += ID_CHUNK) {
        // A concurrent retry that stored an answer first keeps it (and this request answers
        // with it, below); its writes, if any, were checked against the same versions as ours.
        await trx
          .insertInto('sync_mutations')
          .values(rows.slice(i, i + ID_CHUNK))
          .onConflict((oc) => oc.columns(['device_id', 'mutation_id']).doNothing())
          .execute();
      }
    });
  } else {
    for (const m of mutations) results.push(known.get(m.mutationId) as string);
  }
  // The answer of an id is the one stored: ours, or that of a concurrent retry that came first.
  const stored = fresh.size === 0 ? known : await storedAnswers(ctx.db, deviceId, [...fresh.keys()]);
  return results.map((r, i) => {
    const id = (mutations[i] as PushMutation).mutationId;
    const text = typeof r === 'string' ? r : (stored.get(id) ?? JSON.stringify(r));
    return JSON.parse(text) as PushResult;
  });
}
