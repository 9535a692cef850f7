/**
 * Table types of federated sign-in (migration `0005_federation`), kept beside the code that
 * uses them: `FederationDatabase` is merged with the server's `Database` where needed.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { HttpProblem } from '../../http/problem.js';

/** A federated identity linked to an account; (issuer, subject) is unique. */
export interface FederatedAccountsTable {
  issuer: string;
  subject: string;
  provider_id: string;
  user_id: string;
  created_at: number;
  last_login_at: number;
}

/** An outstanding OIDC or SAML request, single use, bound to the device key that started it. */
export interface FederationRequestsTable {
  /** SHA-256 (hex) of the OIDC `state` or the SAML request id. */
  id: string;
  provider_id: string;
  jkt: string;
  /** What the request needs at its end (JSON; PKCE verifier, nonce, redirect URI). */
  data: string;
  expires_at: number;
}

/** SAML assertion ids accepted once (SHA-256 of issuer and id). */
export interface SamlAssertionsSeenTable {
  id: string;
  expires_at: number;
}

/** The registered app a session belongs to. */
export interface AppSessionsTable {
  session_id: string;
  app_id: string;
}

/** Roles and teams that may use an app, as admins last set them (JSON arrays). */
export interface AppAssignmentsTable {
  app_id: string;
  roles: string;
  teams: string;
  updated_at: number;
  updated_by: string | null;
}

/** The federation tables. */
export interface FederationTables {
  federated_accounts: FederatedAccountsTable;
  federation_requests: FederationRequestsTable;
  saml_assertions_seen: SamlAssertionsSeenTable;
  app_sessions: AppSessionsTable;
  app_assignments: AppAssignmentsTable;
}

/** The server database with the federation tables. */
export type FederationDatabase = Database & FederationTables;

/** The same Kysely instance, typed with the federation tables. */
export function federationDb(db: Kysely<Database>): Kysely<FederationDatabase> {
  return db as unknown as Kysely<FederationDatabase>;
}

/**
 * Makes room for one more outstanding sign-in: expired requests are swept, and when `max` live
 * ones remain the start is refused with 503 `server_busy` (Retry-After: until the oldest
 * expires). Those in flight are never evicted to make room: a flood of starts could otherwise
 * push an honest user's sign-in out between the provider's login page and the callback.
 *
 * @example
 * ```ts
 * await ensurePendingRoom(federationDb(ctx.db), ctx.now().getTime(), ctx.config.federation.maxPendingSignIns);
 * ```
 */
export async function ensurePendingRoom(
  db: Kysely<FederationDatabase>,
  nowMs: number,
  max: number,
): Promise<void> {
  await db.deleteFrom('federation_requests').where('expires_at', '<=', nowMs).execute();
  const live = await db
    .selectFrom('federation_requests')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('expires_at').as('oldest')])
    .where('expires_at', '>', nowMs)
    .executeTakeFirstOrThrow();
  if (Number(live.n) < max) return;
  const retryAfter = Math.max(1, Math.ceil((Number(live.oldest) - nowMs) / 1000));
  throw new HttpProblem(503, 'server_busy', 'Too many sign-ins are in progress; try again shortly.', {
    headers: { 'retry-after': String(retryAfter) },
  });
}

/**
 * Stores an outstanding OIDC or SAML request under `id` (a hash of its state or relay state),
 * bound to the device key `jkt`, for `ttlSeconds`; requests that have expired go at the same time.
 */
export async function savePendingRequest(
  db: Kysely<FederationDatabase>,
  request: { id: string; providerId: string; jkt: string; data: unknown; ttlSeconds: number; nowMs: number },
): Promise<void> {
  await db
    .insertInto('federation_requests')
    .values({
      id: request.id,
      provider_id: request.providerId,
      jkt: request.jkt,
      data: JSON.stringify(request.data),
      expires_at: request.nowMs + request.ttlSeconds * 1000,
    })
    .execute();
  await db.deleteFrom('federation_requests').where('expires_at', '<=', request.nowMs).execute();
}

/**
 * Takes an outstanding request: deleted by the statement that reads it (single use, one winner
 * under races), and only for its provider (and device key, when given): what it stored and the
 * device key it is bound to. Undefined when there is none or it has expired.
 */
export async function takePendingRequest<T>(
  db: Kysely<FederationDatabase>,
  request: { id: string; providerId: string; jkt?: string; nowMs: number },
): Promise<{ data: T; jkt: string } | undefined> {
  let query = db
    .deleteFrom('federation_requests')
    .where('id', '=', request.id)
    .where('provider_id', '=', request.providerId);
  if (request.jkt !== undefined) query = query.where('jkt', '=', request.jkt);
  const row = await query.returningAll().executeTakeFirst();
  if (row === undefined || Number(row.expires_at) <= request.nowMs) return undefined;
  return { data: JSON.parse(row.data) as T, jkt: row.jkt };
}
