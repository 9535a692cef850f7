/**
 * The server's signing keys (ES256, P-256), kept in the database so that every node signs and
 * verifies with the same set. Each key has a `kid` (its RFC 7638 thumbprint); the newest active
 * key signs, retired keys stay published in the JWKS for a while so that tokens and signed
 * policies issued before a rotation still verify. Private keys are stored as JWK in the
 * database: whoever can read the database can sign tokens (docs/operations.md).
 */
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** A key ready to use. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

interface LoadedKey {
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly publicKey: CryptoKey;
  readonly privateKey: CryptoKey;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

/** A server key as admins see it (never its private part). */
export interface KeyInfo {
  readonly kid: string;
  readonly alg: string;
  /** `active` signs; `retired` keys only verify until {@link RETIRED_KEY_GRACE_MS} has passed. */
  readonly status: 'active' | 'retired';
  readonly createdAt: string;
  readonly retiredAt?: string;
  /** Still in the JWKS (retired less than a month ago, or active). */
  readonly published: boolean;
}

/** How long a retired key stays published and accepted: long enough for any token it signed. */
const RETIRED_KEY_GRACE_MS = 31 * 24 * 3600 * 1000;
/**
 * How old this node's view of the keys may be when it signs: a rotation made on another node
 * reaches the keys this one signs with within this time.
 */
const SIGNING_VIEW_MS = 5_000;
/** How long a `kid` the database does not hold is answered without asking it again. */
const UNKNOWN_KID_MS = 1_000;
/** Unknown `kid`s remembered at most (a flood of made-up ones clears the memory, not the node). */
const UNKNOWN_KIDS_MAX = 1_000;

type KeyRow = Pick<
  Database['server_keys'],
  'kid' | 'public_jwk' | 'private_jwk' | 'created_at' | 'retired_at'
>;

/**
 * The server's asymmetric signing keys (ES256, shared by every node through the database), as a
 * JWKS publishes them. Not to be confused with `Keyring` in `@bulwark/core/crypto`, which holds a
 * device's symmetric sealing keys.
 */
export class SigningKeySet {
  readonly #db: Kysely<Database>;
  readonly #now: () => Date;
  #keys = new Map<string, LoadedKey>();
  #signing: LoadedKey | undefined;
  /** `kid`s looked up and not found, until when they are answered from memory. */
  readonly #unknown = new Map<string, number>();
  /** Look-ups in flight, so that a burst of tokens with a new `kid` asks the database once. */
  readonly #lookups = new Map<string, Promise<LoadedKey | undefined>>();
  #loadedAt = Number.NEGATIVE_INFINITY;
  #reloading: Promise<void> | undefined;

  constructor(db: Kysely<Database>, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  /**
   * Loads the keys, creating the first one when there is none.
   *
   * @example
   * ```ts
   * const keys = new SigningKeySet(db, () => new Date());
   * await keys.init();
   * ```
   */
  async init(): Promise<void> {
    await this.reload();
    if (this.#signing === undefined) {
      await this.#create();
      await this.reload();
    }
  }

  /** Re-reads the keys from the database (after another node rotated them). */
  async reload(): Promise<void> {
    const startedAt = this.#now().getTime();
    const rows = await this.#db.selectFrom('server_keys').selectAll().orderBy('created_at', 'asc').execute();
    const keys = new Map<string, LoadedKey>();
    let signing: LoadedKey | undefined;
    for (const row of rows) {
      const before = this.#keys.get(row.kid);
      const retiredAt = row.retired_at === null ? null : Number(row.retired_at);
      // A key read before and not retired since is not imported again.
      const loaded =
        before !== undefined && before.retiredAt === retiredAt && !this.#pastGrace(before)
          ? before
          : await this.#load(row);
      if (loaded === undefined) continue;
      keys.set(row.kid, loaded);
      if (loaded.retiredAt === null) signing = loaded;
    }
    this.#keys = keys;
    // Read between another node's retiring and its inserting of the new key (or with every key
    // retired by hand): the key that signed until now goes on signing, rather than none.
    this.#signing = signing ?? this.#signing;
    this.#loadedAt = startedAt;
  }

  /** A key row ready to use; undefined once it has been retired for longer than the grace. */
  /** Whether `key` has been retired for longer than the grace (it verifies nothing any more). */
  #pastGrace(key: Pick<LoadedKey, 'retiredAt'>): boolean {
    return key.retiredAt !== null && this.#now().getTime() - key.retiredAt > RETIRED_KEY_GRACE_MS;
  }

  async #load(row: KeyRow): Promise<LoadedKey | undefined> {
    const retiredAt = row.retired_at === null ? null : Number(row.retired_at);
    if (retiredAt !== null && this.#now().getTime() - retiredAt > RETIRED_KEY_GRACE_MS) return undefined;
    const publicJwk = JSON.parse(row.public_jwk) as JWK;
    return {
      kid: row.kid,
      publicJwk,
      publicKey: (await importJWK(publicJwk, 'ES256')) as CryptoKey,
      privateKey: (await importJWK(JSON.parse(row.private_jwk) as JWK, 'ES256')) as CryptoKey,
      createdAt: Number(row.created_at),
      retiredAt,
    };
  }

  async #create(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    await this.#db
      .insertInto('server_keys')
      .values({
        kid,
        alg: 'ES256',
        public_jwk: JSON.stringify({ ...publicJwk, kid, alg: 'ES256', use: 'sig' }),
        private_jwk: JSON.stringify(privateJwk),
        created_at: this.#now().getTime(),
        retired_at: null,
      })
      .execute();
    return kid;
  }

  /** The key that signs now. */
  signingKey(): SigningKey {
    if (this.#signing === undefined) throw new Error('SigningKeySet.init() was not called');
    return { kid: this.#signing.kid, privateKey: this.#signing.privateKey };
  }
  /**
   * The key that signs now, as the database says at most a few seconds ago: after a rotation on
   * another node, this node signs with the new key too, instead of going on with the retired one
   * until it restarts (whose tokens and policies would stop verifying once its grace ended).
   *
   * @example
   * ```ts
   * const { kid, privateKey } = await keys.currentSigningKey();
   * ```
   */
  async currentSigningKey(): Promise<SigningKey> {
    if (this.#now().getTime() - this.#loadedAt > SIGNING_VIEW_MS) {
      this.#reloading ??= this.reload().finally(() => {
        this.#reloading = undefined;
      });
      await this.#reloading;
    }
    return this.signingKey();
  }

  /**
   * The public key with `kid`. A `kid` this node has not loaded is looked up in the database at
   * once: another node made it (a rotation there, or its own first key when several nodes first
   * started together), and its tokens must verify here from the first request. A `kid` the
   * database does not hold is answered from memory for a second.
   */
  async verificationKey(kid: string | undefined): Promise<CryptoKey | undefined> {
    if (kid === undefined) return undefined;
    const known = this.#keys.get(kid);
    if (known !== undefined) {
      // Loaded while within its grace, by a node that has run since: the grace still ends.
      if (!this.#pastGrace(known)) return known.publicKey;
      this.#keys.delete(kid);
    }
    const now = this.#now().getTime();
    if ((this.#unknown.get(kid) ?? 0) > now) return undefined;
    let lookup = this.#lookups.get(kid);
    if (lookup === undefined) {
      lookup = this.#lookup(kid).finally(() => this.#lookups.delete(kid));
      this.#lookups.set(kid, lookup);
    }
    return (await lookup)?.publicKey;
  }

  async #lookup(kid: string): Promise<LoadedKey | undefined> {
    const row = await this.#db
      .selectFrom('server_keys')
      .selectAll()
      .where('kid', '=', kid)
      .executeTakeFirst();
    const loaded = row === undefined ? undefined : await this.#load(row);
    if (loaded === undefined) {
      if (this.#unknown.size >= UNKNOWN_KIDS_MAX) this.#unknown.clear();
      this.#unknown.set(kid, this.#now().getTime() + UNKNOWN_KID_MS);
      return undefined;
    }
    this.#keys.set(kid, loaded);
    return loaded;
  }

  /**
   * Public keys for `/.well-known/jwks.json`, read from the database on each call: a device that
   * signed in through one node may fetch the keys from another, which must publish the key that
   * signed its policy even if it has not loaded it yet.
   */
  async jwks(): Promise<{ keys: JWK[] }> {
    const rows = await this.#db
      .selectFrom('server_keys')
      .select(['public_jwk', 'retired_at'])
      .orderBy('created_at', 'asc')
      .execute();
    const now = this.#now().getTime();
    return {
      keys: rows
        .filter((r) => r.retired_at === null || now - Number(r.retired_at) <= RETIRED_KEY_GRACE_MS)
        .map((r) => JSON.parse(r.public_jwk) as JWK),
    };
  }

  /**
   * Every key in the database, newest first, without private parts.
   *
   * @example
   * ```ts
   * const active = (await keys.list()).filter((k) => k.status === 'active');
   * ```
   */
  async list(): Promise<KeyInfo[]> {
    const rows = await this.#db
      .selectFrom('server_keys')
      .select(['kid', 'alg', 'created_at', 'retired_at'])
      .orderBy('created_at', 'desc')
      .orderBy('kid')
      .execute();
    const now = this.#now().getTime();
    return rows.map((r) => {
      const retiredAt = r.retired_at === null ? null : Number(r.retired_at);
      return {
        kid: r.kid,
        alg: r.alg,
        status: retiredAt === null ? 'active' : 'retired',
        createdAt: new Date(Number(r.created_at)).toISOString(),
        ...(retiredAt === null ? {} : { retiredAt: new Date(retiredAt).toISOString() }),
        published: retiredAt === null || now - retiredAt <= RETIRED_KEY_GRACE_MS,
      };
    });
  }

  /**
   * Creates a new signing key and retires the others (they still verify for a month).
   *
   * @example
   * ```ts
   * const kid = await keys.rotate();
   * ```
   */
  async rotate(): Promise<string> {
    const now = this.#now().getTime();
    await this.#db
      .updateTable('server_keys')
      .set({ retired_at: now })
      .where('retired_at', 'is', null)
      .execute();
    const kid = await this.#create();
    await this.reload();
    return kid;
  }
}
