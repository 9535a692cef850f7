/**
 * Sync push (docs/sync.md): a batch of mutations, each with a client mutation id. Each mutation
 * goes through the same write path as the data API (validation, rules, hooks) on its own, and is
 * answered on its own: applied (new version), rejected (code and per-field reasons) or conflict
 * (the server's version and device projection). The answer is stored with the mutation id (in the
 * same transaction as the write when there is one), so a retry of a mutation whose answer was lost
 * gets the first answer, byte for byte, and is never applied twice.
 */
import type { PushResult, PushMutation as WirePushMutation } from '@bulwark/core/protocol';
import type { CollectionModel, DataModel } from '../config/model.js';
import type { ServerContext } from '../context.js';
import { isNewRecordId } from '../data/ids.js';
import type { StoredRecord } from '../data/store.js';
import {
  createRecord,
  deleteRecord,
  updateRecord,
  type WriteOutcome,
  type WriteScope,
} from '../data/write.js';
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

/** Stores an applied mutation's answer inside the write's transaction. */
type StoreAnswer = (
  trx: Parameters<NonNullable<WriteScope['beforeCommit']>>[0],
  result: PushResult,
) => Promise<void>;

async function apply(scope: PushScope, m: PushMutation, store: StoreAnswer): Promise<PushResult> {
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
    beforeCommit: (trx, outcome) => store(trx, resultOf(m.mutationId, collection, outcome)),
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
 * The stored answer to a mutation id, exactly as it was first sent. Nothing of the retried
 * mutation is read: a mutation id names an answer, and a "retry" that names another collection or
 * record must not turn that answer into a read of it.
 */
async function storedAnswer(scope: PushScope, mutationId: string): Promise<PushResult | undefined> {
  const row = await scope.ctx.db
    .selectFrom('sync_mutations')
    .select('result')
    .where('device_id', '=', scope.deviceId)
    .where('mutation_id', '=', mutationId)
    .executeTakeFirst();
  return row === undefined ? undefined : (JSON.parse(row.result) as PushResult);
}

/**
 * Applies a batch of mutations in order and answers each.
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
  const results: PushResult[] = [];
  for (const m of mutations) {
    const known = await storedAnswer(scope, m.mutationId);
    if (known !== undefined) {
      results.push(known);
      continue;
    }
    let stored = false;
    const applying = apply(scope, m, async (trx, answer) => {
      // An applied mutation's answer commits with the write itself.
      await trx
        .insertInto('sync_mutations')
        .values({
          device_id: deviceId,
          mutation_id: m.mutationId,
          result: JSON.stringify(answer),
          created_at: nowMs,
        })
        .execute();
      stored = true;
    });
    let result: PushResult;
    try {
      result = await applying;
    } catch (err) {
      // The same mutation id raced in from a concurrent retry: answer as the first one did.
      const first = await storedAnswer(scope, m.mutationId);
      if (first === undefined) throw err;
      results.push(first);
      continue;
    }
    if (!stored) {
      // Nothing was written: keep the whole answer (a conflict's record included) so that a
      // retry gets this very answer. Should a concurrent retry have stored one first, that one
      // is the answer of the id, for this request too.
      await ctx.db
        .insertInto('sync_mutations')
        .values({
          device_id: deviceId,
          mutation_id: m.mutationId,
          result: JSON.stringify(result),
          created_at: nowMs,
        })
        .onConflict((oc) => oc.columns(['device_id', 'mutation_id']).doNothing())
        .execute();
      results.push((await storedAnswer(scope, m.mutationId)) ?? result);
      continue;
    }
    results.push(result);
  }
  return results;
}
