/**
 * The DPoP `jti` replay cache (RFC 9449 §11.1). Entries are keyed on SHA-256(key thumbprint,
 * jti) — fixed size whatever the client sends — and live only as long as a proof with that `iat`
 * could be accepted. Three stores, picked at start (docs/operations.md#shared-state-and-several-nodes):
 * - {@link ReplayCache}: a table of the cache database, shared by every node on that database;
 * - {@link MemoryReplayCache}: process memory, for a single node on SQLite only, where the server
 *   holds the data folder's lock and its nonces carry a per-process epoch, so that no proof made
 *   before a restart is accepted after it;
 * - the Redis store (shared/redis.ts) when `--redis-url` is given.
 */
import type { Kysely, QueryCreator } from 'kysely';
import type { CacheDatabase } from '../db/schema.js';
import { HttpProblem } from '../http/problem.js';
import { compileOnce } from '../lib/compiled-query.js';
import { sha256Hex } from '../lib/encoding.js';

/**
 * The cache key of a proof: SHA-256 of its key thumbprint and `jti`.
 *
 * @example
 * ```ts
 * const key = replayKey(proof.jkt, proof.jti);
 * ```
 */
export function replayKey(jkt: string, jti: string): string {
  return sha256Hex(`${jkt}\u0000${jti}`);
}

/**
 * The insert that records `key`; it inserts no row when the key is there already (a replay).
 * Exported so that a caller can run it inside a larger statement (one round trip).
 *
 * @example
 * ```ts fragment
 * db.with('fresh', (qc) => insertReplayKey(qc, key, expiresAtMs).returning('key'))…
 * ```
 */
export function insertReplayKey<DB extends CacheDatabase>(
  qc: QueryCreator<DB>,
  key: string,
  expiresAtMs: number,
) {
  // Widened to the cache tables alone: the statement touches nothing else.
  return (qc as unknown as QueryCreator<CacheDatabase>)
    .insertInto('dpop_jti')
    .values({ key, expires_at: expiresAtMs })
    .onConflict((oc) => oc.column('key').doNothing());
}

/** One insert per authenticated request: compiled once (lib/compiled-query.ts). */
const insertCompiled = compileOnce((db: Kysely<CacheDatabase>, key: string, expiresAtMs: number) =>
  insertReplayKey(db, key, expiresAtMs),
);

/**
 * Where used proofs are remembered.
 *
 * @example
 * ```ts
 * const store: ReplayStore = new MemoryReplayCache(() => new Date());
 * if (!(await store.record(replayKey(jkt, jti), replayUntilMs))) throw proofReplayed();
 * ```
 */
export interface ReplayStore {
  /**
   * Records a {@link replayKey} until `expiresAtMs`; false when it was already recorded (a
   * replay). Throws when the store cannot answer: a proof is never accepted unchecked.
   */
  record(key: string, expiresAtMs: number): Promise<boolean>;
}

/** Remembers proofs already used, in the cache database. */
export class ReplayCache implements ReplayStore {
  readonly #cache: Kysely<CacheDatabase>;
  readonly #now: () => Date;
  readonly #purgeEveryMs: number;
  #lastPurge = 0;

  constructor(cache: Kysely<CacheDatabase>, now: () => Date, purgeEveryMs = 30_000) {
    this.#cache = cache;
    this.#now = now;
    this.#purgeEveryMs = purgeEveryMs;
  }

  /** The database that holds the cache table. */
  get database(): Kysely<CacheDatabase> {
    return this.#cache;
  }

  /**
   * Records (`jkt`, `jti`) until `expiresAtMs`; false when it was already recorded (a replay).
   *
   * @example
   * ```ts
   * if (!(await replay.remember(jkt, jti, Date.now() + 65_000))) throw replayed();
   * ```
   */
  remember(jkt: string, jti: string, expiresAtMs: number): Promise<boolean> {
    return this.record(replayKey(jkt, jti), expiresAtMs);
  }

  /**
   * Records a {@link replayKey} until `expiresAtMs`; false when it was already recorded.
   *
   * @example
   * ```ts
   * const fresh = await replay.record(replayKey(jkt, jti), Date.now() + 65_000);
   * ```
   */
  async record(key: string, expiresAtMs: number): Promise<boolean> {
    await this.purgeIfDue();
    const result = await this.#cache.executeQuery(insertCompiled(this.#cache, key, expiresAtMs));
    return Number(result.numAffectedRows ?? 0n) === 1;
  }

  /**
   * Deletes expired entries when the last purge of this node is older than the purge period.
   *
   * @example
   * ```ts
   * await replay.purgeIfDue(); // before recording a key by other means
   * ```
   */
  async purgeIfDue(): Promise<void> {
    const now = this.#now().getTime();
    if (now - this.#lastPurge >= this.#purgeEveryMs) {
      this.#lastPurge = now;
      await this.purge(now);
    }
  }

  /** Deletes entries that expired before `nowMs`. */
  async purge(nowMs: number): Promise<number> {
    const result = await this.#cache
      .deleteFrom('dpop_jti')
      .where('expires_at', '<', nowMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** Default capacity of {@link MemoryReplayCache}: about 75 MB, 7,500 proofs a second for 66 s. */
export const MEMORY_REPLAY_CACHE_SIZE = 500_000;

/**
 * The replay cache of a single node, in process memory: no database write per request. Bounded:
 * when it is full of entries that have not expired, new proofs are refused with 503
 * `server_busy` rather than forgetting a proof that could still be replayed. Sound only where no
 * other process accepts proofs for the same deployment and nonces are bound to this process
 * (dpop/nonce.ts, `epoch`): the server uses it only then (serve.ts).
 *
 * @example
 * ```ts
 * const replay = new MemoryReplayCache(() => new Date());
 * await replay.record(replayKey(jkt, jti), Date.now() + 66_000); // true, then false
 * ```
 */
export class MemoryReplayCache implements ReplayStore {
  /** Key → expiry (epoch ms), in insertion order, which is close to expiry order. */
  readonly #entries = new Map<string, number>();
  readonly #now: () => Date;
  readonly #capacity: number;

  constructor(now: () => Date, capacity = MEMORY_REPLAY_CACHE_SIZE) {
    this.#now = now;
    this.#capacity = capacity;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  async record(key: string, expiresAtMs: number): Promise<boolean> {
    return this.recordNow(key, expiresAtMs);
  }

  /**
   * {@link MemoryReplayCache.record}, synchronously (the authentication hot path of a single
   * node awaits nothing it does not have to).
   *
   * @example
   * ```ts
   * if (!replay.recordNow(replayKey(jkt, jti), replayUntilMs)) throw proofReplayed();
   * ```
   */
  recordNow(key: string, expiresAtMs: number): boolean {
    const now = this.#now().getTime();
    const known = this.#entries.get(key);
    if (known !== undefined && known >= now) return false;
    this.#trimFront(now);
    if (this.#entries.size >= this.#capacity) {
      // Out-of-order entries may have expired behind the front one.
      for (const [k, expires] of this.#entries) if (expires < now) this.#entries.delete(k);
      if (this.#entries.size >= this.#capacity) {
        throw new HttpProblem(503, 'server_busy', 'Too many requests at once; try again shortly.', {
          headers: { 'retry-after': '1' },
        });
      }
    }
    this.#entries.delete(key);
    this.#entries.set(key, expiresAtMs);
    return true;
  }

  /** Drops expired entries from the oldest end, up to the first that is still live. */
  #trimFront(now: number): void {
    for (const [k, expires] of this.#entries) {
      if (expires >= now) return;
      this.#entries.delete(k);
    }
  }
}
