/**
 * The DPoP `jti` replay cache (RFC 9449 §11.1), shared by all nodes through the cache
 * database. Entries are keyed on SHA-256(key thumbprint, jti) — fixed size whatever the client
 * sends — and live only as long as a proof with that `iat` could be accepted; expired entries
 * are purged regularly, so the table is bounded by request rate × acceptance window.
 */
import type { Kysely } from 'kysely';
import type { CacheDatabase } from '../db/schema.js';
import { compileOnce } from '../lib/compiled-query.js';
import { sha256Hex } from '../lib/encoding.js';

/** One insert per authenticated request: compiled once (lib/compiled-query.ts). */
const insertJti = compileOnce((db: Kysely<CacheDatabase>, key: string, expiresAt: number) =>
  db
    .insertInto('dpop_jti')
    .values({ key, expires_at: expiresAt })
    .onConflict((oc) => oc.column('key').doNothing()),
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

  /**
   * Records (`jkt`, `jti`) until `expiresAtMs`; false when it was already recorded (a replay).
   *
   * @example
   * ```ts
   * if (!(await replay.remember(jkt, jti, Date.now() + 65_000))) throw replayed();
   * ```
   */
  async remember(jkt: string, jti: string, expiresAtMs: number): Promise<boolean> {
    const now = this.#now().getTime();
    if (now - this.#lastPurge >= this.#purgeEveryMs) {
      this.#lastPurge = now;
      await this.purge(now);
    }
    const key = sha256Hex(`${jkt}\u0000${jti}`);
    const result = await this.#cache.executeQuery(insertJti(this.#cache, key, expiresAtMs));
    return Number(result.numAffectedRows ?? 0n) === 1;
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
