/**
 * Authentication of API requests: `Authorization: DPoP <access token>` plus a `DPoP` proof made
 * with the device key the token is bound to. After the token and proof checks, the proof is
 * recorded in the replay cache and the state of the session, device and user is checked against
 * the database on every request, so revoking a device, ending a session or disabling a user takes
 * effect on the very next request, on every node. How depends on the deployment (one statement
 * with the replay insert on PostgreSQL without Redis; one statement for the requests of an
 * event-loop turn on PostgreSQL with Redis; on SQLite, a prepared statement run synchronously,
 * whose row is kept until the database reports a write to a column it depends on, by this
 * process or another: db/sqlite-change-watch.ts): docs/operations.md, "Authentication cost".
 * Order of the refusals: replayed proof, proof key not the token's, then device revoked (the SDK
 * must wipe) before account disabled before session ended.
 */

import type SQLite from 'better-sqlite3';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import type { ServerContext } from '../context.js';
import { sqliteConnectionOf } from '../db/database.js';
import type { CacheDatabase, Database, Role } from '../db/schema.js';
import { SqliteChangeWatch, type WatchedTable } from '../db/sqlite-change-watch.js';
import { DeviceRevokedError } from '../devices/registry.js';
import { insertReplayKey, MemoryReplayCache, ReplayCache, replayKey } from '../dpop/replay-cache.js';
import { type CheckedProof, DpopProofError, type ProofInput, proofReplayed } from '../dpop/verify.js';
import { compileOnce } from '../lib/compiled-query.js';
import { LruMap } from '../lib/lru.js';
import { InvalidTokenError } from '../tokens/access-token.js';
import { HttpProblem } from './problem.js';
import { clientIp, dpopHeaders, htuOf } from './request.js';

/** Who is calling, once authenticated. */
export interface AuthInfo {
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  readonly deviceId: string;
  readonly sessionId: string;
  readonly jkt: string;
  readonly mustChangePassword: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by {@link requireAuth} on authenticated routes. */
    bulwarkAuth: AuthInfo | null;
  }
}

/** What an authenticated request needs to know of its session, device and user. */
const SESSION_STATE_COLUMNS = [
  'sessions.user_id',
  'sessions.device_id',
  'sessions.jkt',
  'sessions.expires_at',
  'sessions.revoked_at as session_revoked_at',
  'devices.status as device_status',
  'devices.last_seen_at',
  'users.username',
  'users.role',
  'users.disabled_at',
  'users.must_change_password',
] as const;

/**
 * The state of a session, its device and its user, read on every authenticated request (one
 * indexed read; compiled once, lib/compiled-query.ts). Not cached: another node may have revoked
 * the device or disabled the user a moment ago.
 */
const sessionState = compileOnce((db: Kysely<Database>, sessionId: string) =>
  db
    .selectFrom('sessions')
    .innerJoin('devices', 'devices.id', 'sessions.device_id')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(SESSION_STATE_COLUMNS)
    .where('sessions.id', '=', sessionId),
);

/**
 * The same read, and the proof recorded in the replay cache by the same statement: PostgreSQL
 * runs a data-modifying CTE exactly once, and `fresh` counts the row it inserted (0 when the
 * key was there already, a replay). One round trip instead of two when the cache tables live in
 * the main database.
 */
const sessionStateRecordingProof = compileOnce(
  (db: Kysely<Database & CacheDatabase>, key: string, replayUntilMs: number, sessionId: string) =>
    db
      .with('fresh', (qc) => insertReplayKey(qc, key, replayUntilMs).returning('key'))
      .selectFrom('sessions')
      .innerJoin('devices', 'devices.id', 'sessions.device_id')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select((eb) => [
        ...SESSION_STATE_COLUMNS,
        eb.selectFrom('fresh').select(eb.fn.countAll().as('n')).as('fresh'),
      ])
      .where('sessions.id', '=', sessionId),
);

/** A row of {@link sessionState}. */
type SessionState = ReturnType<typeof sessionState> extends CompiledQuery<infer Row> ? Row : never;

/** The tables a {@link SessionState} row is read from, in the order given to the change watch. */
const STATE_TABLES = ['sessions', 'devices', 'users'] as const;
const [SESSIONS, DEVICES, USERS] = [0, 1, 2] as const;

/**
 * The columns a cached {@link SessionState} row depends on, by table: what it selects and the
 * columns it joins on; each table's rows are named by `id`. A write to any of them (or an insert
 * or delete of a row) makes the cached rows that read that row stale
 * (db/sqlite-change-watch.ts).
 */
function watchedTables(): WatchedTable[] {
  const byTable = new Map<string, Set<string>>(STATE_TABLES.map((table) => [table, new Set<string>()]));
  for (const column of SESSION_STATE_COLUMNS) {
    const [table = '', name = ''] = column.split(' ')[0]?.split('.') ?? [];
    const columns = byTable.get(table);
    if (columns === undefined) throw new Error(`session state: ${table} is not watched`);
    // `last_seen_at` is written by this module alone, which then drops the cached row itself;
    // watched, its write once a minute would make the row be read again each time as well.
    if (name !== 'last_seen_at' && name !== 'id') columns.add(name);
  }
  return STATE_TABLES.map((table) => ({ table, key: 'id', columns: [...(byTable.get(table) ?? [])] }));
}

/** The SQLite fast path of one connection: the prepared statement and the rows read with it. */
interface SqliteStateReader {
  readonly statement: SQLite.Statement<[string], SessionState>;
  readonly watch: SqliteChangeWatch;
  /** Rows by session id, each with the watch's mark taken before it was read. */
  readonly rows: LruMap<string, { readonly row: SessionState; readonly mark: number }>;
}

/** How many sessions' rows the SQLite fast path keeps between their requests. */
const CACHED_SESSION_STATES = 10_000;

const sqliteStateReaders = new WeakMap<SQLite.Database, SqliteStateReader>();

function sqliteStateReaderOf(db: Kysely<Database>, sqlite: SQLite.Database): SqliteStateReader {
  let reader = sqliteStateReaders.get(sqlite);
  if (reader === undefined) {
    // The SQL Kysely compiles for this dialect: one source for both paths.
    const compiled = sessionState(db, '');
    if (compiled.parameters.length !== 1) throw new Error('session state: one parameter expected');
    reader = {
      statement: sqlite.prepare<[string], SessionState>(compiled.sql),
      watch: new SqliteChangeWatch(sqlite, watchedTables()),
      rows: new LruMap(CACHED_SESSION_STATES),
    };
    sqliteStateReaders.set(sqlite, reader);
  }
  return reader;
}

/**
 * {@link sessionState} read synchronously on SQLite, with the statement better-sqlite3 prepared
 * once: no asynchronous executor, connection mutex or promise per request. A row read before is
 * served again only while the database reports that none of the rows it was read from (its
 * session, device and user) was written since, by this process or any other
 * (db/sqlite-change-watch.ts): a revocation, a disabled account or an ended session still takes
 * effect on the very next request. `null` when this path is not open (PostgreSQL, a database
 * not opened by `openDatabase`, or a transaction of another request in progress on the one
 * connection, whose uncommitted writes this read would see): the caller then reads through
 * Kysely, which waits for the transaction to end.
 */
function sessionStateNow(db: Kysely<Database>, sessionId: string): SessionState | undefined | null {
  const sqlite = sqliteConnectionOf(db);
  if (sqlite === undefined || sqlite.inTransaction) return null;
  const reader = sqliteStateReaderOf(db, sqlite);
  const { watch } = reader;
  // Taken before the read: a write after it makes the row stale, never the other way round.
  const mark = watch.mark();
  const cached = reader.rows.get(sessionId);
  if (
    cached !== undefined &&
    !watch.changedSince(cached.mark, SESSIONS, sessionId) &&
    !watch.changedSince(cached.mark, DEVICES, cached.row.device_id) &&
    !watch.changedSince(cached.mark, USERS, cached.row.user_id)
  ) {
    return cached.row;
  }
  const row = reader.statement.get(sessionId);
  if (row !== undefined) reader.rows.set(sessionId, { row: Object.freeze(row), mark });
  return row;
}

/** Drops the cached row of a session (after this module wrote to its device). */
function forgetSessionState(db: Kysely<Database>, sessionId: string): void {
  const sqlite = sqliteConnectionOf(db);
  if (sqlite !== undefined) sqliteStateReaders.get(sqlite)?.rows.delete(sessionId);
}

/**
 * Records `proof` in the shared replay cache and reads the session state: 'replayed' when the
 * proof was used before, undefined when the session does not exist (the token is then refused
 * whatever the replay cache holds). A single node on SQLite does both synchronously (replay
 * cache in memory, read through a prepared statement).
 */
function recordProofAndReadState(
  ctx: ServerContext,
  sessionId: string,
  proof: CheckedProof,
): SessionState | undefined | 'replayed' | Promise<SessionState | undefined | 'replayed'> {
  const replay = ctx.dpop.replay;
  const key = replayKey(proof.jkt, proof.jti);
  if (replay instanceof MemoryReplayCache) {
    if (!replay.recordNow(key, proof.replayUntilMs)) return 'replayed';
    const row = sessionStateNow(ctx.db, sessionId);
    return row === null ? readState(ctx, sessionId) : row;
  }
  return recordProofAndReadStateShared(ctx, sessionId, key, proof.replayUntilMs);
}

/** {@link recordProofAndReadState} with a replay cache shared by every node (database or Redis). */
async function recordProofAndReadStateShared(
  ctx: ServerContext,
  sessionId: string,
  key: string,
  replayUntilMs: number,
): Promise<SessionState | undefined | 'replayed'> {
  const replay = ctx.dpop.replay;
  if (
    ctx.dialect === 'postgres' &&
    replay instanceof ReplayCache &&
    (replay.database as unknown) === ctx.db
  ) {
    await replay.purgeIfDue();
    const db = ctx.db as unknown as Kysely<Database & CacheDatabase>;
    const query = sessionStateRecordingProof(db, key, replayUntilMs, sessionId);
    const [row] = (await db.executeQuery(query)).rows;
    if (row === undefined) return undefined;
    return Number(row.fresh) === 1 ? row : 'replayed';
  }
  if (ctx.dialect === 'postgres') {
    // The replay record (Redis) and the session read (PostgreSQL) go out at once: neither needs
    // the other's answer, so a request waits for the slower round trip instead of for both. The
    // answer is still the replay's first: a replayed proof is refused whatever the read gives,
    // and a replay store that cannot answer fails the request (503), never lets it through.
    const reading = batchedReaderOf(ctx.db).read(sessionId);
    let fresh: boolean;
    try {
      fresh = await replay.record(key, replayUntilMs);
    } catch (err) {
      reading.catch(() => undefined);
      throw err;
    }
    if (!fresh) {
      reading.catch(() => undefined);
      return 'replayed';
    }
    return reading;
  }
  if (!(await replay.record(key, replayUntilMs))) return 'replayed';
  const row = sessionStateNow(ctx.db, sessionId);
  return row !== null ? row : readState(ctx, sessionId);
}

/** {@link sessionState} for several sessions at once (PostgreSQL: one array parameter). */
const sessionStates = compileOnce((db: Kysely<Database>, sessionIds: readonly string[]) =>
  db
    .selectFrom('sessions')
    .innerJoin('devices', 'devices.id', 'sessions.device_id')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([...SESSION_STATE_COLUMNS, 'sessions.id as session_id'])
    .where('sessions.id', '=', sql<string>`any(${sessionIds}::varchar[])`),
);

/** A request waiting for a batched read. */
interface Waiter {
  resolve(row: SessionState | undefined): void;
  reject(err: unknown): void;
}

/**
 * Reads the session state of the requests that reach this point in the same turn of the event
 * loop with one statement, on PostgreSQL with the replay cache in Redis (several nodes): each
 * request's read starts after the request arrived and reaches the database, so nothing is
 * cached, but a node busy with many requests pays one round trip (a socket write and read, which
 * cost more CPU than the lookup) for several of them.
 */
class BatchedStateReader {
  readonly #db: Kysely<Database>;
  /** The requests waiting for the next statement, by session. */
  #pending: Map<string, Waiter[]> | undefined;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  read(sessionId: string): Promise<SessionState | undefined> {
    let pending = this.#pending;
    if (pending === undefined) {
      pending = new Map();
      this.#pending = pending;
      setImmediate(() => this.#flush());
    }
    const waiting = pending.get(sessionId) ?? [];
    pending.set(sessionId, waiting);
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
    });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined) return;
    this.#db.executeQuery(sessionStates(this.#db, [...pending.keys()])).then(
      ({ rows }) => {
        const byId = new Map(rows.map(({ session_id, ...row }) => [session_id, row]));
        for (const [sessionId, waiting] of pending) {
          for (const waiter of waiting) waiter.resolve(byId.get(sessionId));
        }
      },
      (err: unknown) => {
        for (const waiting of pending.values()) for (const waiter of waiting) waiter.reject(err);
      },
    );
  }
}

const batchedReaders = new WeakMap<Kysely<Database>, BatchedStateReader>();

function batchedReaderOf(db: Kysely<Database>): BatchedStateReader {
  let reader = batchedReaders.get(db);
  if (reader === undefined) {
    reader = new BatchedStateReader(db);
    batchedReaders.set(db, reader);
  }
  return reader;
}

/** {@link sessionState} through Kysely. */
async function readState(ctx: ServerContext, sessionId: string): Promise<SessionState | undefined> {
  const [row] = (await ctx.db.executeQuery(sessionState(ctx.db, sessionId))).rows;
  return row;
}

/** How often `last_seen_at` is written for an active device. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** Options of {@link requireAuth}. */
export interface RequireAuthOptions {
  /** Only this role may call the route (403 `forbidden` otherwise). */
  readonly role?: Role;
  /** The route stays open to an account that must change its one-time password. */
  readonly allowPasswordChangeRequired?: boolean;
}

/**
 * Checks the access token and DPoP proof of `request` and the state of its session, device and
 * user; throws an {@link HttpProblem} with a stable code on any failure.
 */
export async function authenticate(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<AuthInfo> {
  const header = request.headers.authorization;
  if (header === undefined || header.length === 0) {
    throw new InvalidTokenError('token_missing', 'Send Authorization: DPoP <access token> and a DPoP proof.');
  }
  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  const token = space < 0 ? '' : header.slice(space + 1);
  if (scheme.toLowerCase() === 'bearer') {
    throw new InvalidTokenError(
      'bearer_not_accepted',
      'Access tokens are DPoP-bound: use the DPoP scheme and a proof.',
    );
  }
  if (scheme.toLowerCase() !== 'dpop' || token.length === 0 || token.includes(' ')) {
    throw new InvalidTokenError('invalid_token', 'Send Authorization: DPoP <access token>.');
  }
  // In the steady state of a client (its token and proof header seen before, a single node on
  // SQLite) nothing below is awaited: each await costs a turn of the microtask queue.
  const verified = ctx.tokens.verifyCached(token) ?? (await ctx.tokens.verifyWithHash(token));
  const claims = verified.claims;
  // Every check but the replay check, which is made with the session read below.
  const input: ProofInput = {
    headers: dpopHeaders(request),
    method: request.method,
    htu: htuOf(ctx, request),
    accessToken: token,
    accessTokenHash: verified.ath,
  };
  const proof = ctx.dpop.checkNow(input) ?? (await ctx.dpop.check(input));
  let row = recordProofAndReadState(ctx, claims.sid, proof);
  if (row instanceof Promise) row = await row;
  if (row === 'replayed') {
    await recordReplay(ctx, request, claims.did);
    throw proofReplayed();
  }
  if (proof.jkt !== claims.jkt) {
    throw new DpopProofError(
      'dpop_key_mismatch',
      'The proof is signed with another key than the token is bound to.',
    );
  }
  reply.header('dpop-nonce', ctx.dpop.nonces.current());

  if (
    row === undefined ||
    row.user_id !== claims.sub ||
    row.device_id !== claims.did ||
    row.jkt !== claims.jkt
  ) {
    throw new InvalidTokenError('invalid_token', 'The access token is not valid.');
  }
  const nowMs = ctx.now().getTime();
  if (row.device_status === 'revoked' || row.device_status === 'wipe_confirmed') {
    // A thief can call with the revoked device as often as they like: one event per device and
    // minute (identity/throttle.ts).
    if (await ctx.throttle.firstInEventWindow('device_revoked_access', row.device_id)) {
      await ctx.events.append({
        type: 'device_revoked_access',
        actorUserId: row.user_id,
        actorDeviceId: row.device_id,
        subject: row.device_id,
        ip: clientIp(request),
        data: { method: request.method, route: request.routeOptions.url ?? null },
      });
    }
    throw new DeviceRevokedError();
  }
  if (row.device_status === 'blocked') {
    throw new HttpProblem(
      403,
      'device_blocked',
      'The device policy blocks this device; fix it and sign in again.',
    );
  }
  if (row.disabled_at !== null) throw new InvalidTokenError('account_disabled', 'This account is disabled.');
  if (row.session_revoked_at !== null)
    throw new InvalidTokenError('session_revoked', 'This session has ended.');
  if (Number(row.expires_at) <= nowMs)
    throw new InvalidTokenError('session_expired', 'This session has expired.');
  if (nowMs - Number(row.last_seen_at) >= LAST_SEEN_RESOLUTION_MS) {
    await ctx.db
      .updateTable('devices')
      .set({ last_seen_at: nowMs })
      .where('id', '=', row.device_id)
      .execute();
    forgetSessionState(ctx.db, claims.sid);
  }
  return {
    userId: row.user_id,
    username: row.username,
    role: row.role,
    deviceId: row.device_id,
    sessionId: claims.sid,
    jkt: claims.jkt,
    mustChangePassword: row.must_change_password === 1,
  };
}

/**
 * Verifies the DPoP proof of a request (no access token at login and refresh), recording
 * replays in the security event log.
 */
export async function verifyProof(
  ctx: ServerContext,
  request: FastifyRequest,
  accessToken: string | undefined,
  deviceId?: string,
): Promise<{ jkt: string; jwk: import('jose').JWK }> {
  try {
    return await ctx.dpop.verify({
      headers: dpopHeaders(request),
      method: request.method,
      htu: htuOf(ctx, request),
      ...(accessToken === undefined ? {} : { accessToken }),
    });
  } catch (err) {
    if (err instanceof DpopProofError && err.code === 'dpop_proof_replayed') {
      await recordReplay(ctx, request, deviceId);
    }
    throw err;
  }
}

/**
 * Records a replayed proof as a security event, once per client address and minute: anyone can
 * replay a proof of their own as often as they like (identity/throttle.ts).
 */
async function recordReplay(ctx: ServerContext, request: FastifyRequest, deviceId?: string): Promise<void> {
  const ip = clientIp(request);
  if (!(await ctx.throttle.firstInEventWindow('dpop_replay', ip))) return;
  await ctx.events.append({
    type: 'dpop_replay',
    actorDeviceId: deviceId ?? null,
    ip,
    data: { method: request.method, route: request.routeOptions.url ?? null },
  });
}

/**
 * A preHandler that authenticates the request and sets `request.bulwarkAuth`.
 *
 * @example
 * ```ts
 * app.get('/records', { preHandler: requireAuth(ctx) }, async (request) => list(request.bulwarkAuth!));
 * app.get('/admin/users', { preHandler: requireAuth(ctx, { role: 'admin' }) }, listUsers);
 * ```
 */
export function requireAuth(
  ctx: ServerContext,
  options: RequireAuthOptions = {},
): preHandlerAsyncHookHandler {
  return async function bulwarkAuthenticate(request, reply) {
    const auth = await authenticate(ctx, request, reply);
    if (auth.mustChangePassword && options.allowPasswordChangeRequired !== true) {
      throw new HttpProblem(
        403,
        'password_change_required',
        'Change the one-time password first (POST /auth/password).',
      );
    }
    if (options.role !== undefined && auth.role !== options.role) {
      throw new HttpProblem(403, 'forbidden', 'This route needs another role.');
    }
    request.bulwarkAuth = auth;
  };
}

/** The authenticated caller of a route protected by {@link requireAuth}. */
export function authOf(request: FastifyRequest): AuthInfo {
  const auth = request.bulwarkAuth;
  if (auth === null) throw new HttpProblem(401, 'token_missing', 'Authentication required.');
  return auth;
}
