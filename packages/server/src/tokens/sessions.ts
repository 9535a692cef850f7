/**
 * Sessions and refresh tokens. A session is one refresh-token family, bound to one device key
 * and with an absolute end. Refresh tokens are opaque random strings stored only as SHA-256
 * hashes; each is exchanged once (an atomic `used_at` update decides the single winner), and a
 * second use of any of them revokes the whole family (OAuth 2.0 Security BCP §4.14).
 */

import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, SessionsTable } from '../db/schema.js';
import type { ServerErrorCode } from '../http/codes.js';
import { HttpProblem } from '../http/problem.js';
import { sha256Hex } from '../lib/encoding.js';

/** A refresh token was refused: 401. */
export class RefreshTokenError extends HttpProblem {
  constructor(code: ServerErrorCode, detail: string) {
    super(401, code, detail);
  }
}

/** A session row. */
export type SessionRow = SessionsTable;

/** Outcome of {@link RefreshSessions.inspect} for a token that may be exchanged. */
export interface RefreshCandidate {
  readonly tokenHash: string;
  readonly session: SessionRow;
}

/**
 * Creates, rotates and revokes the server's sessions (refresh-token families). The client's
 * `SessionStore` (in `@bulwark/client`) is the other side: where a device keeps its own tokens.
 */
export class RefreshSessions {
  readonly #db: Kysely<Database>;
  readonly #ttlSeconds: number;
  readonly #now: () => Date;

  constructor(db: Kysely<Database>, ttlSeconds: number, now: () => Date) {
    this.#db = db;
    this.#ttlSeconds = ttlSeconds;
    this.#now = now;
  }

  /**
   * Starts a session for a device and returns its first refresh token.
   *
   * @example
   * ```ts
   * const { session, refreshToken } = await sessions.create({ userId, deviceId, jkt });
   * ```
   */
  async create(
    input: { userId: string; deviceId: string; jkt: string },
    db: Kysely<Database> = this.#db,
  ): Promise<{ session: SessionRow; refreshToken: string }> {
    const now = this.#now().getTime();
    const session: SessionRow = {
      id: randomUUID(),
      user_id: input.userId,
      device_id: input.deviceId,
      jkt: input.jkt,
      created_at: now,
      expires_at: now + this.#ttlSeconds * 1000,
      last_refresh_at: now,
      revoked_at: null,
      revoked_reason: null,
    };
    await db.insertInto('sessions').values(session).execute();
    const refreshToken = await this.#newToken(session.id, db);
    return { session, refreshToken };
  }

  async #newToken(sessionId: string, db: Kysely<Database>): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await db
      .insertInto('refresh_tokens')
      .values({
        token_hash: sha256Hex(token),
        session_id: sessionId,
        created_at: this.#now().getTime(),
        used_at: null,
      })
      .execute();
    return token;
  }

  /**
   * Finds the session of `refreshToken` and checks it may be exchanged by the key `jkt`.
   * A token already exchanged revokes its family and throws `refresh_token_reused`.
   */
  async inspect(refreshToken: string, jkt: string): Promise<RefreshCandidate & { reused: boolean }> {
    const tokenHash = sha256Hex(refreshToken);
    const row = await this.#db
      .selectFrom('refresh_tokens')
      .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
      .selectAll('sessions')
      .select(['refresh_tokens.used_at'])
      .where('refresh_tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (row === undefined)
      throw new RefreshTokenError('invalid_refresh_token', 'The refresh token is not valid.');
    const { used_at, ...session } = row;
    if (session.jkt !== jkt) {
      throw new RefreshTokenError('dpop_key_mismatch', 'The refresh token is bound to another device key.');
    }
    return { tokenHash, session, reused: used_at !== null };
  }

  /**
   * Exchanges the token for a new one; undefined when another request exchanged it first (the
   * caller treats that as reuse).
   */
  async rotate(candidate: RefreshCandidate): Promise<string | undefined> {
    const now = this.#now().getTime();
    return this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('refresh_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', candidate.tokenHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      await trx
        .updateTable('sessions')
        .set({ last_refresh_at: now })
        .where('id', '=', candidate.session.id)
        .execute();
      return this.#newToken(candidate.session.id, trx);
    });
  }

  /**
   * Revokes sessions selected by user, device or id (optionally sparing one); returns how many.
   *
   * @example
   * ```ts
   * await sessions.revoke({ userId }, 'password_changed', { except: currentSessionId });
   * ```
   */
  async revoke(
    where: { userId?: string; deviceId?: string; sessionId?: string },
    reason: string,
    options: { except?: string; db?: Kysely<Database> } = {},
  ): Promise<number> {
    let query = (options.db ?? this.#db)
      .updateTable('sessions')
      .set({ revoked_at: this.#now().getTime(), revoked_reason: reason })
      .where('revoked_at', 'is', null);
    if (where.userId !== undefined) query = query.where('user_id', '=', where.userId);
    if (where.deviceId !== undefined) query = query.where('device_id', '=', where.deviceId);
    if (where.sessionId !== undefined) query = query.where('id', '=', where.sessionId);
    if (options.except !== undefined) query = query.where('id', '!=', options.except);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
