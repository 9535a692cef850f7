/**
 * The user directory as admins see it: accounts with their teams, how many devices they have
 * and when one of them was last seen; listed with filters and keyset pages. Usernames are
 * user-supplied text and are returned as data, never interpreted.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, Role, UsersTable } from '../db/schema.js';
import { likeContains } from '../lib/like.js';
import { usernameKey } from './users.js';

// A type alias, not an interface: it must fit the admin routes' response schema type, whose open
// object (json-schema-to-ts) has an index signature that only an alias satisfies.
/** An account as admins see it. */
export type UserView = {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly mustChangePassword: boolean;
  readonly teams: string[];
  readonly createdAt: string;
  readonly deviceCount: number;
  /** Last contact of any of the user's devices; absent when there is none. */
  readonly lastSeenAt?: string;
};

/** Filters of {@link listUsers}. */
export interface UserFilter {
  /** Substring of the username, compared like sign-in names (NFKC, case-insensitive). */
  readonly q?: string;
  readonly role?: Role;
  readonly disabled?: boolean;
  readonly limit: number;
  /** Sort key (created at, id) of the last user of the previous page. */
  readonly after?: readonly [number, string];
}

/**
 * One page of accounts, oldest first (ties by id); `more` says whether another page follows.
 *
 * @example
 * ```ts
 * const { rows, more } = await listUsers(db, { q: 'ann', limit: 50 });
 * ```
 */
export async function listUsers(
  db: Kysely<Database>,
  filter: UserFilter,
): Promise<{ rows: UsersTable[]; more: boolean }> {
  let query = db.selectFrom('users').selectAll();
  if (filter.q !== undefined && filter.q !== '') {
    query = query.where(likeContains(sql.ref('username_key'), usernameKey(filter.q)));
  }
  if (filter.role !== undefined) query = query.where('role', '=', filter.role);
  if (filter.disabled !== undefined) {
    query = query.where('disabled_at', filter.disabled ? 'is not' : 'is', null);
  }
  if (filter.after !== undefined) {
    const [createdAt, id] = filter.after;
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '>', createdAt),
        eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .limit(filter.limit + 1)
    .execute();
  return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
}

/**
 * The admin views of `rows`, with teams and device counts read in two queries for the page.
 *
 * @example
 * ```ts
 * const [view] = await userViews(db, [row]);
 * ```
 */
export async function userViews(db: Kysely<Database>, rows: readonly UsersTable[]): Promise<UserView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const teams = await db
    .selectFrom('user_teams')
    .select(['user_id', 'team'])
    .where('user_id', 'in', ids)
    .orderBy('team')
    .execute();
  const devices = await db
    .selectFrom('devices')
    .select((eb) => ['user_id', eb.fn.countAll().as('n'), eb.fn.max('last_seen_at').as('last')])
    .where('user_id', 'in', ids)
    .groupBy('user_id')
    .execute();
  const teamsOf = new Map<string, string[]>();
  for (const t of teams) teamsOf.set(t.user_id, [...(teamsOf.get(t.user_id) ?? []), t.team]);
  const devicesOf = new Map(devices.map((d) => [d.user_id, d]));
  return rows.map((u) => {
    const d = devicesOf.get(u.id);
    return {
      id: u.id,
      username: u.username,
      role: u.role,
      disabled: u.disabled_at !== null,
      mustChangePassword: Number(u.must_change_password) === 1,
      teams: teamsOf.get(u.id) ?? [],
      createdAt: new Date(Number(u.created_at)).toISOString(),
      deviceCount: Number(d?.n ?? 0),
      ...(d === undefined || d.last === null ? {} : { lastSeenAt: new Date(Number(d.last)).toISOString() }),
    };
  });
}

/**
 * The admin view of one account, or undefined.
 *
 * @example
 * ```ts
 * const user = await userViewById(db, userId);
 * ```
 */
export async function userViewById(db: Kysely<Database>, userId: string): Promise<UserView | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  return row === undefined ? undefined : (await userViews(db, [row]))[0];
}
