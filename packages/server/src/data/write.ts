/**
 * The write path shared by the data API and sync push. Every write is re-validated with the same
 * validator the client runs (`@bulwark/core/schema`), refuses system and serverOnly fields sent by
 * a client (no mass assignment), is authorized against the stored record and the result, runs the
 * collection's business hook, and is stored with a new version and change sequence in one
 * transaction. Outcomes are values, not exceptions, so a push answers each mutation on its own.
 */
import { type AnyCollection, deviceView, type Issue, SYSTEM_FIELDS, validate } from '@bulwark/core/schema';
import type { Transaction } from 'kysely';
import type { HookIssue, HookUser } from '../config/define.js';
import type { CollectionModel } from '../config/model.js';
import type { ServerContext } from '../context.js';
import type { Database } from '../db/schema.js';
import type { ProblemIssue } from '../http/problem.js';
import { attrsJson } from '../rules/attrs.js';
import { evaluatePredicate } from '../rules/predicate.js';
import type { Claims } from '../rules/rule.js';
import { newRecordId } from './ids.js';
import {
  appendNotice,
  insertKeys,
  type KeyRow,
  keyRows,
  lockCounter,
  moveKeys,
  nextSeq,
  readRecord,
  type StoredRecord,
  setSeq,
} from './store.js';

/** The result of one write. */
export type WriteOutcome =
  | { readonly kind: 'applied'; readonly record: StoredRecord; readonly created: boolean }
  | {
      readonly kind: 'rejected';
      readonly status: 403 | 404 | 422;
      readonly code: 'forbidden' | 'not_found' | 'validation_failed';
      readonly detail: string;
      readonly issues?: readonly ProblemIssue[];
    }
  /** The record changed since `expectedVersion`; `current` is visible to the caller. */
  | { readonly kind: 'conflict'; readonly current: StoredRecord };

/** Who writes, and where. */
export interface WriteScope {
  readonly ctx: ServerContext;
  readonly model: CollectionModel;
  readonly claims: Claims;
  readonly deviceId: string;
  /**
   * Runs inside the write's transaction, after the record is written and before the commit (sync
   * push stores its answer here, so the write and the answer commit together).
   */
  readonly beforeCommit?: (
    trx: Transaction<Database>,
    outcome: WriteOutcome & { kind: 'applied' },
  ) => Promise<void>;
  /**
   * Write inside this batch's transaction instead of one of its own (sync push applies a whole
   * request in one transaction). The batch holds the change counter from its start, so it hands
   * out sequence numbers itself and no other writer can interleave.
   */
  readonly batch?: WriteBatch;
}

/**
 * A transaction that holds the change counter and hands out its sequence numbers (sync push). It
 * also saves statements: the ids a batch's creates propose are looked up once, together, and the
 * record keys of its creates are inserted together before it commits (or before it moves keys).
 *
 * @example
 * ```ts
 * await db.transaction().execute(async (trx) => {
 *   const batch = await WriteBatch.start(trx);
 *   await createRecord({ ...scope, batch }, body, id);
 *   await batch.finish();
 * });
 * ```
 */
export class WriteBatch {
  #seq: number;
  readonly #pendingKeys: KeyRow[] = [];
  /** `collection/id` of proposed ids known to be free (looked up at the start, not created since). */
  readonly #free = new Set<string>();

  private constructor(
    readonly trx: Transaction<Database>,
    seq: number,
  ) {
    this.#seq = seq;
  }

  /** Locks the change counter in `trx` and starts a batch after its last number. */
  static async start(trx: Transaction<Database>): Promise<WriteBatch> {
    return new WriteBatch(trx, await lockCounter(trx));
  }

  /** The first of `count` new sequence numbers. */
  nextSeq(count: number): number {
    const first = this.#seq + 1;
    this.#seq += count;
    return first;
  }

  /** Looks up, in one statement, which of these proposed ids of `collection` are free. */
  async lookUpFree(collection: string, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 200) {
      const chunk = ids.slice(i, i + 200);
      const taken = await this.trx
        .selectFrom('records')
        .select('id')
        .where('collection', '=', collection)
        .where('id', 'in', chunk)
        .execute();
      const set = new Set(taken.map((r) => r.id));
      for (const id of chunk) if (!set.has(id)) this.#free.add(`${collection}/${id}`);
    }
  }

  /** Whether `id` is known to be free; the answer holds once, as the caller is about to take it. */
  takeFree(collection: string, id: string): boolean {
    return this.#free.delete(`${collection}/${id}`);
  }

  /** Queues key rows, inserted by {@link flushKeys}. */
  addKeys(rows: readonly KeyRow[]): void {
    this.#pendingKeys.push(...rows);
  }

  /** Inserts the queued key rows. */
  async flushKeys(): Promise<void> {
    const rows = this.#pendingKeys.splice(0);
    for (let i = 0; i < rows.length; i += 300) {
      await this.trx
        .insertInto('record_keys')
        .values(rows.slice(i, i + 300))
        .execute();
    }
  }

  /** Inserts the queued keys and stores the last sequence number handed out; call before commit. */
  async finish(): Promise<void> {
    await this.flushKeys();
    await setSeq(this.trx, this.#seq);
  }
}

/**
 * Runs `fn` in the scope's batch or in a transaction of its own. On PostgreSQL an update or
 * delete takes the change counter's lock before the record's, in the order a batch takes them,
 * so that the two can never wait on each other.
 */
function inTransaction<T>(
  scope: WriteScope,
  lockCounterFirst: boolean,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (scope.batch !== undefined) return fn(scope.batch.trx);
  return scope.ctx.db.transaction().execute(async (trx) => {
    if (lockCounterFirst && scope.ctx.dialect === 'postgres') await lockCounter(trx);
    return fn(trx);
  });
}

async function addKeys(
  scope: WriteScope,
  trx: Transaction<Database>,
  seq: number,
  owner: string,
  record: Readonly<Record<string, unknown>>,
): Promise<void> {
  if (scope.batch !== undefined) scope.batch.addKeys(keyRows(scope.model, seq, owner, record));
  else await insertKeys(trx, scope.model, seq, owner, record);
}

async function changeKeys(
  scope: WriteScope,
  trx: Transaction<Database>,
  previous: StoredRecord,
  seq: number,
  after: Readonly<Record<string, unknown>> | undefined,
): Promise<void> {
  // The record's keys may still be queued by this batch: insert them before moving them.
  await scope.batch?.flushKeys();
  await moveKeys(trx, scope.model, previous, seq, after);
}

function takeSeq(scope: WriteScope, trx: Transaction<Database>, count: number): Promise<number> {
  return scope.batch !== undefined ? Promise.resolve(scope.batch.nextSeq(count)) : nextSeq(trx, count);
}

/** A hook returned a record that is not valid server data: a bug in the hook, answered as 500. */
export class HookOutputError extends Error {
  constructor(collection: string, issues: readonly Issue[]) {
    super(`beforeWrite of ${collection} returned an invalid record (${issues.length} issue(s))`);
    this.name = 'HookOutputError';
  }
}

const NOT_FOUND = {
  kind: 'rejected',
  status: 404,
  code: 'not_found',
  detail: 'No such record.',
} as const satisfies WriteOutcome;

const FORBIDDEN = {
  kind: 'rejected',
  status: 403,
  code: 'forbidden',
  detail: 'The rules of this collection do not allow this change.',
} as const satisfies WriteOutcome;

function toProblemIssues(issues: readonly Issue[]): ProblemIssue[] {
  return issues.map((i) => ({ path: i.pointer === '' ? '/' : i.pointer, code: i.code, message: i.message }));
}

function invalid(issues: readonly ProblemIssue[]): WriteOutcome {
  return {
    kind: 'rejected',
    status: 422,
    code: 'validation_failed',
    detail: 'The record does not match the schema of the collection.',
    issues,
  };
}

/**
 * Validates a client's fields: system fields (`owner`, `version`, …) get `system_field`, the rest
 * is the core validator (`unknown_field`, `server_only`, types and limits).
 */
export function validateClientFields(
  collection: AnyCollection,
  body: unknown,
  mode: 'create' | 'patch',
): { ok: true; value: Record<string, unknown> } | { ok: false; issues: ProblemIssue[] } {
  const system: ProblemIssue[] = [];
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    for (const key of SYSTEM_FIELDS) {
      if (Object.hasOwn(body, key)) {
        system.push({ path: `/${key}`, code: 'system_field', message: 'is set by the server only' });
      }
    }
  }
  const result = validate(collection, body, { mode, source: 'device' });
  if (result.ok && system.length === 0) return { ok: true, value: result.value as Record<string, unknown> };
  const systemPaths = new Set(system.map((s) => s.path));
  const rest = result.ok
    ? []
    : toProblemIssues(result.issues).filter((i) => !(i.code === 'unknown_field' && systemPaths.has(i.path)));
  return { ok: false, issues: [...system, ...rest] };
}

function hookUser(scope: WriteScope): HookUser {
  return { ...scope.claims, deviceId: scope.deviceId };
}

function allowed(
  rule: CollectionModel['read'],
  claims: Claims,
  owner: string,
  fields: Readonly<Record<string, unknown>>,
) {
  return evaluatePredicate(rule(claims), { owner, fields });
}

/** Whether the caller may see `record` (a tombstone by the fields it kept). */
export function canRead(model: CollectionModel, claims: Claims, record: StoredRecord): boolean {
  return allowed(model.read, claims, record.owner, record.data ?? {});
}

function hookIssues(issues: readonly HookIssue[]): ProblemIssue[] {
  return issues.slice(0, 100).map((i) => ({
    path: typeof i.path === 'string' ? i.path.slice(0, 200) : '/',
    code: typeof i.code === 'string' ? i.code.slice(0, 100) : 'rejected',
    message: typeof i.message === 'string' ? i.message.slice(0, 500) : 'refused',
  }));
}

/** Runs beforeWrite; returns the record to store or the issues it raised. */
async function runBeforeWrite(
  scope: WriteScope,
  op: 'create' | 'update',
  id: string,
  record: Record<string, unknown>,
  previous: Readonly<Record<string, unknown>> | undefined,
): Promise<{ record: Record<string, unknown>; replaced: boolean } | { issues: ProblemIssue[] }> {
  const hook = scope.model.hooks.beforeWrite;
  if (hook === undefined) return { record, replaced: false };
  const decision = await hook({
    collection: scope.model.name,
    op,
    id,
    record: structuredClone(record),
    previous: previous === undefined ? undefined : structuredClone(previous),
    user: hookUser(scope),
    now: scope.ctx.now(),
  });
  if (decision === undefined || decision === null) return { record, replaced: false };
  if ('issues' in decision) return { issues: hookIssues(decision.issues) };
  return { record: decision.record as Record<string, unknown>, replaced: true };
}

/** The server-side check of the record about to be stored (hooks may have changed it). */
function finalRecord(model: CollectionModel, record: Record<string, unknown>): Record<string, unknown> {
  const result = validate(model.collection, record, { mode: 'create', source: 'server' });
  if (!result.ok) throw new HookOutputError(model.name, result.issues);
  return result.value as Record<string, unknown>;
}

function projections(model: CollectionModel, record: Record<string, unknown>) {
  return {
    data: JSON.stringify(record),
    device: JSON.stringify(deviceView(model.collection, record)),
    attrs: attrsJson(record, model.attrFields),
  };
}

function readAttrsChanged(
  model: CollectionModel,
  before: Readonly<Record<string, unknown>>,
  after: Record<string, unknown>,
) {
  return attrsJson(before, model.readFields) !== attrsJson(after, model.readFields);
}

/** Serverless keys of a stored record (the ones a device never sends) to carry over on update. */
function serverOnlyOf(
  model: CollectionModel,
  stored: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, node] of model.collection.node.entries) {
    if (node.cls === 'serverOnly' && Object.hasOwn(stored, name)) out[name] = stored[name];
  }
  return out;
}

/** Rebuilds a record in declaration order from the stored one and the client's fields. */
function merge(
  model: CollectionModel,
  base: Readonly<Record<string, unknown>>,
  fields: Record<string, unknown>,
) {
  const out: Record<string, unknown> = {};
  for (const name of model.collection.node.keys) {
    if (Object.hasOwn(fields, name)) out[name] = fields[name];
    else if (Object.hasOwn(base, name)) out[name] = base[name];
  }
  return out;
}

/**
 * Creates a record from a client's fields. `id`: the id a device proposed (sync push); the server
 * draws one otherwise. An id already taken answers `conflict` when the caller can see that record
 * and `not_found` when it cannot.
 *
 * @example
 * ```ts
 * const outcome = await createRecord(scope, body);
 * if (outcome.kind === 'applied') reply.code(201);
 * ```
 */
export async function createRecord(scope: WriteScope, body: unknown, id?: string): Promise<WriteOutcome> {
  const { ctx, model, claims } = scope;
  const checked = validateClientFields(model.collection, body, 'create');
  if (!checked.ok) return invalid(checked.issues);
  if (!allowed(model.create, claims, claims.userId, checked.value)) return FORBIDDEN;
  const recordId = id ?? newRecordId();
  if (id !== undefined && scope.batch?.takeFree(model.name, id) !== true) {
    const taken = await readRecord(scope.batch?.trx ?? ctx.db, ctx.dialect, model.name, id);
    if (taken !== undefined)
      return canRead(model, claims, taken) ? { kind: 'conflict', current: taken } : NOT_FOUND;
  }
  const hooked = await runBeforeWrite(scope, 'create', recordId, checked.value, undefined);
  if ('issues' in hooked) return invalid(hooked.issues);
  const record = finalRecord(model, hooked.record);
  if (hooked.replaced && !allowed(model.create, claims, claims.userId, record)) return FORBIDDEN;
  const p = projections(model, record);
  const nowMs = ctx.now().getTime();
  try {
    return await inTransaction(scope, false, async (trx) => {
      const seq = await takeSeq(scope, trx, 1);
      const row = {
        collection: model.name,
        id: recordId,
        owner: claims.userId,
        version: 1,
        seq,
        created_at: nowMs,
        updated_at: nowMs,
        deleted_at: null,
        ...p,
      };
      await trx.insertInto('records').values(row).execute();
      await addKeys(scope, trx, seq, claims.userId, record);
      const stored: StoredRecord = {
        collection: model.name,
        id: recordId,
        owner: claims.userId,
        version: 1,
        seq,
        createdAt: nowMs,
        updatedAt: nowMs,
        deletedAt: null,
        data: record,
        device: p.device,
        attrs: JSON.parse(p.attrs) as Record<string, unknown>,
      };
      const outcome = { kind: 'applied', record: stored, created: true } as const;
      await scope.beforeCommit?.(trx, outcome);
      return outcome;
    });
  } catch (err) {
    // Two creates raced for the same proposed id: answer as if the other had come first. (A batch
    // holds the counter from its start, so no create races it.)
    if (id === undefined || scope.batch !== undefined) throw err;
    const taken = await readRecord(ctx.db, ctx.dialect, model.name, id);
    if (taken === undefined) throw err;
    return canRead(model, claims, taken) ? { kind: 'conflict', current: taken } : NOT_FOUND;
  }
}

/** How an update reads the client's fields. */
export interface UpdateOptions {
  /** `patch`: the fields sent replace the stored ones; `replace`: the sent record replaces all device fields. */
  readonly mode: 'patch' | 'replace';
  /** The version the client edited; a different stored version answers `conflict`. */
  readonly expectedVersion?: number | undefined;
  /** Answer a visible tombstone with `conflict` (sync) instead of `not_found` (data API). */
  readonly tombstoneConflict?: boolean;
}

/**
 * Updates a record: 404 when the caller cannot see it, 403 when the update rule refuses the stored
 * record or the result, `conflict` on a version mismatch, 422 on invalid fields or a hook's refusal.
 *
 * @example
 * ```ts
 * await updateRecord(scope, id, { status: 'closed' }, { mode: 'patch', expectedVersion: 3 });
 * ```
 */
export async function updateRecord(
  scope: WriteScope,
  id: string,
  body: unknown,
  options: UpdateOptions,
): Promise<WriteOutcome> {
  const { ctx, model, claims } = scope;
  return inTransaction(scope, true, async (trx): Promise<WriteOutcome> => {
    const stored = await readRecord(trx, ctx.dialect, model.name, id, true);
    if (stored === undefined || !canRead(model, claims, stored)) return NOT_FOUND;
    if (stored.deletedAt !== null)
      return options.tombstoneConflict === true ? { kind: 'conflict', current: stored } : NOT_FOUND;
    const before = stored.data ?? {};
    if (!allowed(model.update, claims, stored.owner, before)) return FORBIDDEN;
    if (options.expectedVersion !== undefined && options.expectedVersion !== stored.version) {
      return { kind: 'conflict', current: stored };
    }
    const checked = validateClientFields(
      model.collection,
      body,
      options.mode === 'patch' ? 'patch' : 'create',
    );
    if (!checked.ok) return invalid(checked.issues);
    const base = options.mode === 'patch' ? before : serverOnlyOf(model, before);
    const merged = merge(model, base, checked.value);
    if (!allowed(model.update, claims, stored.owner, merged)) return FORBIDDEN;
    const hooked = await runBeforeWrite(scope, 'update', id, merged, before);
    if ('issues' in hooked) return invalid(hooked.issues);
    const record = finalRecord(model, hooked.record);
    if (hooked.replaced && !allowed(model.update, claims, stored.owner, record)) return FORBIDDEN;
    return writeUpdate(trx, scope, stored, record);
  });
}

async function writeUpdate(
  trx: Transaction<Database>,
  scope: WriteScope,
  stored: StoredRecord,
  record: Record<string, unknown>,
): Promise<WriteOutcome> {
  const { ctx, model } = scope;
  const nowMs = ctx.now().getTime();
  const notice = readAttrsChanged(model, stored.data ?? {}, record);
  const first = await takeSeq(scope, trx, notice ? 2 : 1);
  if (notice) await appendNotice(trx, first, model, stored, nowMs);
  const seq = notice ? first + 1 : first;
  const p = projections(model, record);
  const version = stored.version + 1;
  await trx
    .updateTable('records')
    .set({ version, seq, updated_at: nowMs, ...p })
    .where('collection', '=', model.name)
    .where('id', '=', stored.id)
    .where('version', '=', stored.version)
    .execute();
  await changeKeys(scope, trx, stored, seq, record);
  const outcome = {
    kind: 'applied',
    created: false,
    record: {
      ...stored,
      version,
      seq,
      updatedAt: nowMs,
      data: record,
      device: p.device,
      attrs: JSON.parse(p.attrs) as Record<string, unknown>,
    },
  } as const;
  await scope.beforeCommit?.(trx, outcome);
  return outcome;
}

/**
 * Deletes a record, leaving a tombstone (docs/storage.md). A visible tombstone answers `applied`
 * again (the record is gone, as asked) in sync, 404 in the data API.
 *
 * @example
 * ```ts
 * await deleteRecord(scope, id, { expectedVersion: 4 });
 * ```
 */
export async function deleteRecord(
  scope: WriteScope,
  id: string,
  options: { expectedVersion?: number | undefined; tombstoneApplied?: boolean } = {},
): Promise<WriteOutcome> {
  const { ctx, model, claims } = scope;
  return inTransaction(scope, true, async (trx): Promise<WriteOutcome> => {
    const stored = await readRecord(trx, ctx.dialect, model.name, id, true);
    if (stored === undefined || !canRead(model, claims, stored)) return NOT_FOUND;
    if (stored.deletedAt !== null) {
      return options.tombstoneApplied === true
        ? { kind: 'applied', record: stored, created: false }
        : NOT_FOUND;
    }
    const before = stored.data ?? {};
    if (!allowed(model.delete, claims, stored.owner, before)) return FORBIDDEN;
    if (options.expectedVersion !== undefined && options.expectedVersion !== stored.version) {
      return { kind: 'conflict', current: stored };
    }
    const hook = model.hooks.beforeDelete;
    if (hook !== undefined) {
      const decision = await hook({
        collection: model.name,
        id,
        previous: structuredClone(before),
        user: hookUser(scope),
        now: ctx.now(),
      });
      if (decision !== undefined && decision !== null && 'issues' in decision) {
        return invalid(hookIssues(decision.issues));
      }
    }
    const nowMs = ctx.now().getTime();
    const first = await takeSeq(scope, trx, 2);
    await appendNotice(trx, first, model, stored, nowMs);
    // The tombstone keeps only what the read rule needs, to tell who may learn of the delete.
    const kept: Record<string, unknown> = {};
    for (const name of model.readFields) if (Object.hasOwn(before, name)) kept[name] = before[name];
    const version = stored.version + 1;
    const seq = first + 1;
    await trx
      .updateTable('records')
      .set({
        version,
        seq,
        updated_at: nowMs,
        deleted_at: nowMs,
        data: JSON.stringify(kept),
        device: null,
        attrs: attrsJson(kept, model.readFields),
      })
      .where('collection', '=', model.name)
      .where('id', '=', id)
      .execute();
    await changeKeys(scope, trx, stored, seq, undefined);
    const outcome = {
      kind: 'applied',
      created: false,
      record: { ...stored, version, seq, updatedAt: nowMs, deletedAt: nowMs, data: kept, device: null },
    } as const;
    await scope.beforeCommit?.(trx, outcome);
    return outcome;
  });
}
