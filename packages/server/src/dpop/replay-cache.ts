/**
 * The DPoP `jti` replay cache (RFC 9449 §11.1), shared by all nodes through the cache
 * database. Entries are keyed on SHA-256(key thumbprint, jti) — fixed size whatever the client
 * sends — and live only as long as a proof with that `iat` could be accepted; expired entries
 * are purged regularly, so the table is bounded by request rate × acceptance window.
 */
import type { Kysely, QueryCreator } from 'kysely';
import type { CacheDatabase } from '../db/schema.js';
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

/** Remembers proofs already used. */
export class ReplayCache {
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
