/**
 * The sync engine over the server's pull and push. Local edits go into the store and into an
 * encrypted outbox in one transaction, so an acknowledged edit is never lost and never applied
 * without being queued. Push sends queued mutations with client mutation ids (a retry after a
 * lost answer is applied once by the server), one mutation per record per round, and backs off
 * exponentially with jitter when the server cannot be reached. Pull applies pages of changes by
 * checkpoint, each page and its checkpoint in one transaction; removals delete; records with
 * edits still queued are left alone until their push resolves. Rejections (code and per-field
 * reasons) and conflicts (server version wins, the local attempt is reported) go to the app.
 * Protocol and conflict policy: docs/client.md, "Sync".
 */

import { type RandomBytes, randomBytes, toBase64, utf8Decode, utf8Encode } from '@bulwark/core/crypto';
import { InvalidArgumentError } from '../errors.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { WriteOp } from '../store/backend.js';
import type { CollectionSpec } from '../store/collection.js';
import type { StoreRecord } from '../store/lib/codec.js';
import { EncryptedStore } from '../store/store.js';
import type { DeviceRecord, StoreCollectionName, UntypedSchema } from '../store/typed.js';
import { NetworkError, ServerProblemError } from '../transport/errors.js';
import type { Transport } from '../transport/transport.js';
import type { Vault } from '../vault/vault.js';
import type { PullResponse, PushMutation, PushResponse, PushResult, RejectionIssue } from './protocol.js';

const OUTBOX = 'bulwark_outbox';
const OUTBOX_SPEC: CollectionSpec = {
  name: OUTBOX,
  schemaVersion: 1,
  wholeRecord: true,
  fields: { entry: { class: 'sensitive' } },
};
const CHECKPOINT_KEY = 'sync.checkpoint';
/** Refusals of an edit that mean the device may no longer hold the record it edited. */
const GONE_FROM_DEVICE = new Set(['not_found', 'collection_not_synced']);
const versionKey = (collection: string, id: string) => `sync.v:${collection}:${id}`;
/**
 * Set when a pull left a record alone because an edit of it was queued, and what it left was a
 * removal or a reset (the user may no longer hold the record); cleared by a later upsert of it.
 */
const goneKey = (collection: string, id: string) => `sync.gone:${collection}:${id}`;
const SET = utf8Encode('1');

interface OutboxEntry {
  readonly key: string;
  readonly mutationId: string;
  readonly collection: string;
  readonly id: string;
  readonly op: 'upsert' | 'delete';
  readonly record?: Readonly<Record<string, unknown>>;
  readonly attempts: number;
  readonly nextAttemptAt: number;
}

/**
 * A mutation the server refused.
 *
 * @example
 * ```ts
 * const { rejected } = await sync.push();
 * for (const r of rejected) showFieldErrors(r.collection, r.id, r.issues);
 * ```
 */
export interface Rejection {
  readonly mutationId: string;
  readonly collection: string;
  readonly id: string;
  readonly code: string;
  readonly issues: readonly RejectionIssue[];
  /** Later queued edits of the same record, dropped because they built on the refused one. */
  readonly dropped: number;
}

/**
 * A mutation that lost to a newer server version (the server's record is now stored locally).
 *
 * @example
 * ```ts
 * const { conflicts } = await sync.push();
 * for (const c of conflicts) offerToReapply(c.attempted, c.serverRecord);
 * ```
 */
export interface Conflict {
  readonly mutationId: string;
  readonly collection: string;
  readonly id: string;
  readonly serverVersion: number;
  readonly serverRecord: Readonly<Record<string, unknown>> | undefined;
  readonly attempted: Readonly<Record<string, unknown>> | undefined;
  readonly dropped: number;
}

/** What a push did. */
export interface PushReport {
  readonly applied: number;
  readonly rejected: readonly Rejection[];
  readonly conflicts: readonly Conflict[];
  /** Mutations left queued (server unreachable or not yet due). */
  readonly pending: number;
  /** When the next retry is due, if any is queued. */
  readonly nextAttemptAt: number | undefined;
}

/** What a pull did. */
export interface PullReport {
  readonly upserted: number;
  readonly removed: number;
  /** Changes the store refused (unknown collection, invalid record): skipped, reported. */
  readonly invalid: readonly { readonly collection: string; readonly id: string; readonly code: string }[];
  /** The server asked for a reset and the local synced records were replaced. */
  readonly reset: boolean;
}

/**
 * Options of {@link SyncEngine.open}.
 *
 * @example
 * ```ts
 * const options: SyncOptions = { store, vault, transport, batchSize: 100 };
 * ```
 */
export interface SyncOptions<S = UntypedSchema> {
  readonly store: EncryptedStore<S>;
  readonly vault: Vault;
  readonly transport: Transport;
  /** Mutations per push request. Default 100. */
  readonly batchSize?: number;
  /** Changes asked for per pull page. Default 500. */
  readonly pageLimit?: number;
  /** First retry delay, doubled per attempt up to `maxBackoffMs`. Default 1 s. */
  readonly baseBackoffMs?: number;
  /** Default 5 minutes. */
  readonly maxBackoffMs?: number;
  readonly clock?: Clock;
  readonly random?: RandomBytes;
}

/**
 * Offline-first sync.
 *
 * @example
 * ```ts
 * const sync = await SyncEngine.open({ store, vault, transport });
 * await sync.put('sites', { id: 's1', name: 'Depot', residentPhone: '+44 20 7946 0958' });
 * const { rejected, conflicts } = await sync.push();
 * await sync.pull();
 * ```
 */
export class SyncEngine<S = UntypedSchema> {
  // Untyped inside: the engine moves records of every collection by name, from the server too.
  readonly #store: EncryptedStore;
  readonly #outbox: EncryptedStore;
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #random: RandomBytes;
  readonly #batchSize: number;
  readonly #pageLimit: number;
  readonly #baseBackoff: number;
  readonly #maxBackoff: number;
  #sequence = 0;
  #running: Promise<unknown> = Promise.resolve();

  private constructor(options: SyncOptions<S>, outbox: EncryptedStore) {
    this.#store = options.store as EncryptedStore;
    this.#outbox = outbox;
    this.#transport = options.transport;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? randomBytes;
    this.#batchSize = options.batchSize ?? 100;
    this.#pageLimit = options.pageLimit ?? 500;
    this.#baseBackoff = options.baseBackoffMs ?? 1000;
    this.#maxBackoff = options.maxBackoffMs ?? 300_000;
  }

  /**
   * Opens the engine over a store; the outbox lives in the same backend.
   *
   * @example
   * ```ts
   * const sync = await SyncEngine.open({ store, vault, transport });
   * ```
   */
  static async open<S = UntypedSchema>(options: SyncOptions<S>): Promise<SyncEngine<S>> {
    const outbox = await EncryptedStore.open({
      backend: options.store.backend,
      vault: options.vault,
      collections: [OUTBOX_SPEC],
      destroyOnWipe: false,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    return new SyncEngine<S>(options, outbox);
  }

  /**
   * Stores a record locally and queues it for the server, in one transaction.
   *
   * @example
   * ```ts
   * await sync.put('sites', { id: 's1', name: 'Depot' });
   * ```
   */
  async put<C extends StoreCollectionName<S>>(collection: C, typed: DeviceRecord<S, C>): Promise<void> {
    const record = typed as StoreRecord;
    const ops = await this.#store.encodePuts(collection, [record]);
    const { id, ...fields } = record;
    const entry = await this.#entry(collection, id, 'upsert', fields);
    await this.#store.commit([...ops, ...entry]);
  }

  /**
   * Deletes a record locally and queues the deletion, in one transaction.
   *
   * @example
   * ```ts
   * await sync.delete('sites', 's1');
   * ```
   */
  async delete(collection: StoreCollectionName<S>, id: string): Promise<void> {
    this.#store.collection(collection);
    const entry = await this.#entry(collection, id, 'delete', undefined);
    await this.#store.commit([{ kind: 'delete', collection, id }, ...entry]);
  }

  /**
   * Mutations still queued.
   *
   * @example
   * ```ts
   * badge.textContent = String(await sync.pending());
   * ```
   */
  async pending(): Promise<number> {
    return (await this.#entries()).length;
  }

  /**
   * Pushes the due mutations until none is left or the server cannot be reached.
   *
   * @example
   * ```ts
   * const report = await sync.push();
   * if (report.nextAttemptAt !== undefined) scheduleAt(report.nextAttemptAt);
   * ```
   */
  push(): Promise<PushReport> {
    return this.#serial(() => this.#push());
  }

  /**
   * Pulls changes since the stored checkpoint.
   *
   * @example
   * ```ts
   * const { upserted, removed } = await sync.pull();
   * ```
   */
  pull(): Promise<PullReport> {
    return this.#serial(() => this.#pull());
  }

  /**
   * Push, then pull.
   *
   * @example
   * ```ts
   * const { push, pull } = await sync.sync();
   * ```
   */
  async sync(): Promise<{ push: PushReport; pull: PullReport }> {
    const push = await this.push();
    const pull = await this.pull();
    return { push, pull };
  }

  async #entry(
    collection: string,
    id: string,
    op: 'upsert' | 'delete',
    record: Readonly<Record<string, unknown>> | undefined,
  ): Promise<WriteOp[]> {
    if (typeof id !== 'string') throw new InvalidArgumentError('record id must be a string');
    const now = this.#clock.now();
    this.#sequence += 1;
    // Keys sort in creation order: time, then a per-process sequence, then randomness.
    const key = `${String(now).padStart(15, '0')}-${String(this.#sequence).padStart(9, '0')}-${hex(this.#random(4))}`;
    const entry: Omit<OutboxEntry, 'key'> = {
      mutationId: base64url(this.#random(16)),
      collection,
      id,
      op,
      ...(record === undefined ? {} : { record }),
      attempts: 0,
      nextAttemptAt: now,
    };
    return this.#outbox.encodePuts(OUTBOX, [{ id: key, entry }]);
  }

  async #entries(): Promise<OutboxEntry[]> {
    const rows = await this.#outbox.all(OUTBOX);
    return rows.map((row) => ({ ...(row.entry as Omit<OutboxEntry, 'key'>), key: row.id }));
  }

  async #version(collection: string, id: string): Promise<number | null> {
    const bytes = await this.#store.backend.getMeta(versionKey(collection, id));
    if (bytes === undefined) return null;
    const value = Number(utf8Decode(bytes));
    return Number.isSafeInteger(value) ? value : null;
  }

  async #push(): Promise<PushReport> {
    let applied = 0;
    const rejected: Rejection[] = [];
    const conflicts: Conflict[] = [];
    for (;;) {
      const all = await this.#entries();
      const now = this.#clock.now();
      const seen = new Set<string>();
      const batch: OutboxEntry[] = [];
      for (const entry of all) {
        const recordKey = `${entry.collection}\u0000${entry.id}`;
        if (seen.has(recordKey)) continue;
        seen.add(recordKey);
        if (entry.nextAttemptAt <= now && batch.length < this.#batchSize) batch.push(entry);
      }
      if (batch.length === 0) return this.#report(applied, rejected, conflicts, all);
      const mutations: PushMutation[] = [];
      /** The base version each mutation was sent with, by mutation id. */
      const sent = new Map<string, number | null>();
      for (const entry of batch) {
        const baseVersion = await this.#version(entry.collection, entry.id);
        sent.set(entry.mutationId, baseVersion);
        mutations.push({
          mutationId: entry.mutationId,
          collection: entry.collection,
          id: entry.id,
          op: entry.op,
          baseVersion,
          ...(entry.record === undefined ? {} : { record: entry.record }),
        });
      }
      let response: PushResponse;
      try {
        response = await this.#transport.request<PushResponse>('POST', '/sync/push', { mutations });
      } catch (err) {
        const malformed = malformedEntries(err, batch);
        if (malformed !== undefined) {
          // The server refused the request for the envelope of these mutations (an id it does
          // not accept, say): report and drop them, or they would fail every later push with it.
          const ops: WriteOp[] = [];
          for (const [entry, issues] of malformed) {
            const later = all.filter(
              (e) => e.collection === entry.collection && e.id === entry.id && e.key !== entry.key,
            );
            for (const e of [entry, ...later]) ops.push({ kind: 'delete', collection: OUTBOX, id: e.key });
            rejected.push({
              mutationId: entry.mutationId,
              collection: entry.collection,
              id: entry.id,
              code: 'invalid_request',
              issues,
              dropped: later.length,
            });
          }
          await this.#store.commit(ops);
          continue;
        }
        if (!retryable(err)) throw err;
        await this.#defer(batch);
        return this.#report(applied, rejected, conflicts, await this.#entries());
      }
      const results = new Map<string, PushResult>();
      for (const result of Array.isArray(response?.results) ? response.results : []) {
        if (typeof result?.mutationId === 'string') results.set(result.mutationId, result);
      }
      const ops: WriteOp[] = [];
      const unanswered: OutboxEntry[] = [];
      for (const entry of batch) {
        const result = results.get(entry.mutationId);
        if (result === undefined) {
          unanswered.push(entry);
          continue;
        }
        ops.push({ kind: 'delete', collection: OUTBOX, id: entry.key });
        // A removal (or a reset) the pull skipped while this edit was queued: the record may no
        // longer be one this user may hold, and that removal will not come again. Whatever the
        // answer (a retry gets its first answer, which may predate the removal), the copy goes;
        // if the user may hold the record after all, it changed after that pull, so the next
        // pull brings it back.
        // (A record created here and never acknowledged stays: that data is the user's own.)
        const marked = (await this.#store.backend.getMeta(goneKey(entry.collection, entry.id))) !== undefined;
        if (marked) ops.push({ kind: 'meta', key: goneKey(entry.collection, entry.id), value: null });
        const gone = marked && sent.get(entry.mutationId) !== null;
        if (gone) ops.push({ kind: 'delete', collection: entry.collection, id: entry.id });
        if (result.status === 'applied') {
          applied += 1;
          ops.push(
            entry.op === 'delete'
              ? { kind: 'meta', key: versionKey(entry.collection, entry.id), value: null }
              : {
                  kind: 'meta',
                  key: versionKey(entry.collection, entry.id),
                  value: utf8Encode(String(result.version)),
                },
          );
          continue;
        }
        // Later queued edits of this record built on the refused or losing one: drop them too.
        const later = all.filter(
          (e) => e.collection === entry.collection && e.id === entry.id && e.key !== entry.key,
        );
        for (const e of later) ops.push({ kind: 'delete', collection: OUTBOX, id: e.key });
        if (result.status === 'rejected') {
          // not_found on a record the device had from the server: no record this user may see has
          // this id any more (reassigned, moved out of their teams); collection_not_synced: its
          // collection may no longer be held on devices at all. The removal or reset that said so
          // left the record alone while this edit was queued, and will not come again: drop the
          // copy. A refused create keeps its record: that data is the user's own, never the server's.
          if (gone || (GONE_FROM_DEVICE.has(String(result.code)) && sent.get(entry.mutationId) !== null)) {
            ops.push({ kind: 'delete', collection: entry.collection, id: entry.id });
            ops.push({ kind: 'meta', key: versionKey(entry.collection, entry.id), value: null });
          }
          rejected.push({
            mutationId: entry.mutationId,
            collection: entry.collection,
            id: entry.id,
            code: typeof result.code === 'string' ? result.code : 'rejected',
            issues: Array.isArray(result.issues) ? result.issues : [],
            dropped: later.length,
          });
        } else {
          const serverRecord = result.serverRecord;
          const stored =
            serverRecord === undefined || gone ? undefined : await this.#encodeOrRefuse(entry, serverRecord);
          if (stored === undefined) {
            // Deleted on the server, or a version this store refuses (a field this app version
            // does not know, say, as a pull reports it): keep neither it nor the losing edit.
            ops.push({ kind: 'delete', collection: entry.collection, id: entry.id });
            ops.push({ kind: 'meta', key: versionKey(entry.collection, entry.id), value: null });
          } else {
            ops.push(...stored);
            ops.push({
              kind: 'meta',
              key: versionKey(entry.collection, entry.id),
              value: utf8Encode(String(result.serverVersion)),
            });
          }
          conflicts.push({
            mutationId: entry.mutationId,
            collection: entry.collection,
            id: entry.id,
            serverVersion: result.serverVersion,
            serverRecord,
            attempted: entry.record,
            dropped: later.length,
          });
        }
      }
      // A record this push drops (marked gone by a removal or reset it outlived for its queued
      // edit, or answered not_found) may be one the next pull sends back: the rest of a reset
      // pass the network cut off (`sync()` pushes first), or an answer that predates the user
      // getting it back. Hold the drop like a reset's, so its attached files (photos that exist
      // only here) are judged when that pull ends, not deleted now.
      const kept = new Set<string>(this.#store.collectionNames());
      const drops = ops.some((op) => op.kind === 'delete' && kept.has(op.collection));
      await this.#store.commit(ops, { holdDrops: drops });
      if (unanswered.length > 0) {
        await this.#defer(unanswered);
        return this.#report(applied, rejected, conflicts, await this.#entries());
      }
    }
  }

  /**
   * The writes that store a conflict's server record, or undefined when the store refuses it.
   * Thrown otherwise, the refusal would fail every later push too: the server answers a retried
   * mutation with the same record.
   */
  async #encodeOrRefuse(
    entry: OutboxEntry,
    serverRecord: Readonly<Record<string, unknown>>,
  ): Promise<WriteOp[] | undefined> {
    try {
      return await this.#store.encodePuts(entry.collection, [{ ...serverRecord, id: entry.id }]);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'vault_locked' || code === 'vault_wiped') throw err;
      return undefined;
    }
  }

  async #defer(entries: readonly OutboxEntry[]): Promise<void> {
    const now = this.#clock.now();
    const rows = entries.map((entry) => {
      const attempts = entry.attempts + 1;
      const ceiling = Math.min(this.#maxBackoff, this.#baseBackoff * 2 ** Math.min(attempts - 1, 30));
      // Equal jitter: between half the ceiling and the ceiling, so devices do not retry in step.
      const jitter = (this.#random(1)[0] as number) / 255;
      const { key, ...rest } = entry;
      return {
        id: key,
        entry: { ...rest, attempts, nextAttemptAt: now + Math.round(ceiling * (0.5 + jitter / 2)) },
      };
    });
    await this.#store.commit(await this.#outbox.encodePuts(OUTBOX, rows));
  }

  #report(
    applied: number,
    rejected: Rejection[],
    conflicts: Conflict[],
    remaining: readonly OutboxEntry[],
  ): PushReport {
    const next = remaining.reduce<number | undefined>(
      (min, e) => (min === undefined || e.nextAttemptAt < min ? e.nextAttemptAt : min),
      undefined,
    );
    return { applied, rejected, conflicts, pending: remaining.length, nextAttemptAt: next };
  }

  async #pull(): Promise<PullReport> {
    let upserted = 0;
    let removed = 0;
    let reset = false;
    const invalid: { collection: string; id: string; code: string }[] = [];
    for (;;) {
      const stored = await this.#store.backend.getMeta(CHECKPOINT_KEY);
      const checkpoint = stored === undefined ? null : utf8Decode(stored);
      const ask = (from: string | null) =>
        this.#transport.request<PullResponse>('POST', '/sync/pull', {
          checkpoint: from,
          limit: this.#pageLimit,
        });
      let page: PullResponse;
      let startOver = false;
      try {
        page = await ask(checkpoint);
      } catch (err) {
        if (
          checkpoint === null ||
          !(err instanceof ServerProblemError) ||
          err.code !== 'invalid_checkpoint'
        ) {
          throw err;
        }
        // The server no longer accepts this checkpoint (its checkpoint secret changed, or this
        // store was restored from elsewhere): start over. The removals since that checkpoint are
        // lost with it, so the first page drops every synced record, as a reset does.
        page = await ask(null);
        startOver = true;
      }
      if (!Array.isArray(page?.changes) || typeof page.checkpoint !== 'string') {
        throw new NetworkError('the server sent an unexpected pull page');
      }
      const pending = new Set((await this.#entries()).map((e) => `${e.collection}\u0000${e.id}`));
      const ops: WriteOp[] = [];
      if (page.reset === true || startOver) {
        reset = true;
        // The server can no longer say what changed: drop every synced record (edits still
        // queued stay, their push decides), then apply the page, all in one transaction.
        for (const name of this.#store.collectionNames()) {
          for (const id of await this.#store.ids(name)) {
            if (pending.has(`${name}\u0000${id}`)) {
              // Kept for its queued edit; if the server's, gone unless the reset pass sends it again.
              if ((await this.#version(name, id)) !== null) {
                ops.push({ kind: 'meta', key: goneKey(name, id), value: SET });
              }
              continue;
            }
            ops.push({ kind: 'delete', collection: name, id });
            ops.push({ kind: 'meta', key: versionKey(name, id), value: null });
          }
        }
      }
      for (const change of page.changes) {
        if (pending.has(`${change.collection}\u0000${change.id}`)) {
          const removal = 'removed' in change && change.removed === true;
          ops.push({ kind: 'meta', key: goneKey(change.collection, change.id), value: removal ? SET : null });
          continue;
        }
        try {
          this.#store.collection(change.collection);
          if ('removed' in change && change.removed === true) {
            ops.push({ kind: 'delete', collection: change.collection, id: change.id });
            ops.push({ kind: 'meta', key: versionKey(change.collection, change.id), value: null });
            removed += 1;
          } else if ('record' in change) {
            ops.push(
              ...(await this.#store.encodePuts(change.collection, [{ ...change.record, id: change.id }])),
            );
            ops.push({
              kind: 'meta',
              key: versionKey(change.collection, change.id),
              value: utf8Encode(String(change.version)),
            });
            upserted += 1;
          }
        } catch (err) {
          const code =
            typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'invalid';
          if (code === 'vault_locked' || code === 'vault_wiped') throw err;
          invalid.push({ collection: String(change.collection), id: String(change.id), code });
        }
      }
      ops.push({ kind: 'meta', key: CHECKPOINT_KEY, value: utf8Encode(page.checkpoint) });
      // A reset drops every synced record and the pass sends back those still held, over as many
      // pages as it takes (and across restarts): their attached files must not go with the drop.
      // The store holds the drops until the pass ends, then the files of records not sent back go.
      const resetPage = page.reset === true || startOver;
      const last = page.hasMore !== true;
      await this.#store.commit(ops, {
        holdDrops: resetPage,
        releaseDrops: last && (resetPage || (await this.#store.dropsHeld())),
      });
      if (last) return { upserted, removed, invalid, reset };
    }
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#running.then(operation, operation);
    this.#running = run.catch(() => undefined);
    return run;
  }
}

/** Network failures and server-side trouble are retried; anything else is the app's to see. */
/**
 * The entries of `batch` that a `400 invalid_request` names (issues at `/mutations/<i>/…`), each
 * with its issues relative to the mutation; undefined when the refusal names none of them, or
 * names something else as well (then the whole request is at fault).
 */
function malformedEntries(
  err: unknown,
  batch: readonly OutboxEntry[],
): Map<OutboxEntry, RejectionIssue[]> | undefined {
  if (!(err instanceof ServerProblemError) || err.status !== 400 || err.code !== 'invalid_request') {
    return undefined;
  }
  const named = new Map<OutboxEntry, RejectionIssue[]>();
  for (const issue of err.issues) {
    const m = /^\/mutations\/(0|[1-9][0-9]*)(\/.*)?$/.exec(issue.path);
    const entry = m === null ? undefined : batch[Number(m[1])];
    if (m === null || entry === undefined) return undefined;
    named.set(entry, [...(named.get(entry) ?? []), { ...issue, path: m[2] ?? '/' }]);
  }
  return named.size === 0 ? undefined : named;
}

function retryable(err: unknown): boolean {
  if (err instanceof NetworkError) return true;
  return err instanceof ServerProblemError && (err.status >= 500 || err.status === 429);
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function base64url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
