/**
 * Federated accounts: the link from an identity provider's (issuer, subject) to a Bulwark
 * account, just-in-time provisioning, and the mapping of claims, attributes and groups to role
 * and teams. An identity is never linked to an existing account by its name or e-mail: that
 * would let whoever controls a provider account of the same name take over the local one.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, Role, UsersTable } from '../../db/schema.js';
import type { SecurityEventLog } from '../../events/log.js';
import { HttpProblem } from '../../http/problem.js';
import { hasForbiddenUsernameCharacter, NO_CONTROL_CHARACTERS } from '../../lib/text.js';
import { isLastEnabledAdmin } from '../last-admin.js';
import { usernameKey } from '../users.js';
import type { ClaimMapping, ProviderConfig } from './config.js';
import { federationDb } from './tables.js';

/**
 * What a provider vouched for, once its checks passed. `claims` holds the values the mappings
 * read: OIDC claims, SAML attributes, or `groups` (DNs) and the entry's attributes for LDAP.
 */
export interface FederatedIdentity {
  readonly providerId: string;
  readonly issuer: string;
  readonly subject: string;
  /** The login name for a provisioned account. */
  readonly username: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

const PRINTABLE = new RegExp(NO_CONTROL_CHARACTERS, 'u');

/**
 * Marks a provisioned account as having no password: not a PHC string, so a password sign-in
 * always fails on it (the hasher's verify answers false, in the same time as a wrong password).
 */
export const NO_PASSWORD = '!federated';

/** Values of a claim as strings (a single value, or each element of a list). */
function claimValues(claims: Readonly<Record<string, unknown>>, name: string): string[] {
  const v = claims[name];
  if (typeof v === 'string') return [v];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** Compares LDAP DNs loosely (case and spaces after separators), other values exactly. */
function same(claim: string, a: string, b: string): boolean {
  if (claim !== 'groups') return a === b;
  const norm = (dn: string) => dn.replace(/\s*([,=+])\s*/g, '$1').toLowerCase();
  return norm(a) === norm(b);
}

/**
 * The role and teams `claims` give under `mappings`; `undefined` for what no rule decides (the
 * role when no rule gives a role, the teams when no rule gives a team).
 *
 * @example
 * ```ts
 * mapClaims([{ claim: 'groups', equals: 'cn=admins,dc=corp', role: 'admin' }], { groups: ['cn=admins,dc=corp'] }, 'user');
 * // { role: 'admin', teams: undefined }
 * ```
 */
export function mapClaims(
  mappings: readonly ClaimMapping[],
  claims: Readonly<Record<string, unknown>>,
  defaultRole: Role,
): { role: Role | undefined; teams: string[] | undefined } {
  let role: Role | undefined;
  let teams: Set<string> | undefined;
  const givesRole = mappings.some((m) => m.role !== undefined);
  const givesTeam = mappings.some((m) => m.team !== undefined);
  if (givesRole) role = defaultRole;
  if (givesTeam) teams = new Set();
  for (const m of mappings) {
    if (!claimValues(claims, m.claim).some((v) => same(m.claim, v, m.equals))) continue;
    if (m.role === 'admin') role = 'admin';
    if (m.team !== undefined) teams?.add(m.team);
  }
  return { role, teams: teams === undefined ? undefined : [...teams].sort() };
}

/** Dependencies of {@link resolveFederatedUser}. */
export interface AccountDeps {
  readonly db: Kysely<Database>;
  readonly events: SecurityEventLog;
  readonly now: () => Date;
}

/**
 * The account linked to `identity`: found by (issuer, subject), or created when the provider
 * provisions just in time; its role and teams updated from the mappings. Throws 403
 * `federated_account_unknown` for an unlinked identity without JIT, 409
 * `federated_username_taken` when JIT would reuse a local account's name.
 *
 * @example
 * ```ts
 * const user = await resolveFederatedUser(deps, provider, identity, ip);
 * ```
 */
export async function resolveFederatedUser(
  deps: AccountDeps,
  provider: ProviderConfig,
  identity: FederatedIdentity,
  ip: string,
): Promise<UsersTable> {
  const db = federationDb(deps.db);
  const nowMs = deps.now().getTime();
  // The link's columns hold 255 characters of subject (what an admin may link, too): a longer id
  // was stored by SQLite and refused by PostgreSQL, so one server provisioned what another
  // answered with a false "name taken".
  // A control character or an unpaired surrogate (which an OIDC `sub` may hold; JSON escapes
  // them) is refused too: PostgreSQL cannot compare a NUL at all, SQLite would store it.
  if ([...identity.subject].length > 255 || !PRINTABLE.test(identity.subject)) {
    throw new HttpProblem(
      403,
      'federated_account_unknown',
      "The identity provider's id for this identity is over 255 characters or not printable.",
    );
  }
  const mapped = mapClaims(provider.mappings, identity.claims, provider.defaultRole);
  const linked = await db
    .selectFrom('federated_accounts')
    .innerJoin('users', 'users.id', 'federated_accounts.user_id')
    .selectAll('users')
    .where('federated_accounts.issuer', '=', identity.issuer)
    .where('federated_accounts.subject', '=', identity.subject)
    .executeTakeFirst();
  let user: UsersTable;
  if (linked !== undefined) {
    user = linked;
    await db
      .updateTable('federated_accounts')
      .set({ last_login_at: nowMs })
      .where('issuer', '=', identity.issuer)
      .where('subject', '=', identity.subject)
      .execute();
  } else {
    if (!provider.jit) {
      throw new HttpProblem(
        403,
        'federated_account_unknown',
        'This identity is not linked to an account here; ask an administrator.',
      );
    }
    const key = usernameKey(identity.username);
    // The rules createUser applies to a local name: a provider's name with an invisible character
    // (`gina` + U+200B) would be a second account displayed exactly like a local one, and a name
    // NFKC shortens could fit the key column but not the name column.
    if (
      key.length === 0 ||
      key.length > 200 ||
      [...identity.username.trim()].length > 200 ||
      hasForbiddenUsernameCharacter(identity.username)
    ) {
      throw new HttpProblem(403, 'federated_account_unknown', 'The identity provider sent no usable name.');
    }
    const taken = await db
      .selectFrom('users')
      .select('id')
      .where('username_key', '=', key)
      .executeTakeFirst();
    if (taken !== undefined) {
      throw new HttpProblem(
        409,
        'federated_username_taken',
        'An account with this name exists already and is not linked to this identity; ask an administrator.',
      );
    }
    user = {
      id: randomUUID(),
      username: identity.username.trim(),
      username_key: key,
      password_hash: NO_PASSWORD,
      role: mapped.role ?? provider.defaultRole,
      must_change_password: 0,
      disabled_at: null,
      created_at: nowMs,
      password_changed_at: nowMs,
    };
    const row = user;
    try {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(row).execute();
        await trx
          .insertInto('federated_accounts')
          .values({
            issuer: identity.issuer,
            subject: identity.subject,
            provider_id: provider.id,
            user_id: row.id,
            created_at: nowMs,
            last_login_at: nowMs,
          })
          .execute();
        if (mapped.teams !== undefined && mapped.teams.length > 0) {
          await trx
            .insertInto('user_teams')
            .values(mapped.teams.map((team) => ({ user_id: row.id, team })))
            .execute();
        }
      });
    } catch (cause) {
      // Two first sign-ins of the same identity at once: the loser uses the winner's account.
      const again = await db
        .selectFrom('federated_accounts')
        .innerJoin('users', 'users.id', 'federated_accounts.user_id')
        .selectAll('users')
        .where('federated_accounts.issuer', '=', identity.issuer)
        .where('federated_accounts.subject', '=', identity.subject)
        .executeTakeFirst();
      if (again !== undefined) return again;
      const named = await db
        .selectFrom('users')
        .select('id')
        .where('username_key', '=', key)
        .executeTakeFirst();
      if (named !== undefined) {
        throw new HttpProblem(409, 'federated_username_taken', 'An account with this name exists already.', {
          cause,
        });
      }
      // Neither race: a failure of its own, not to be told as a taken name.
      throw cause;
    }
    await deps.events.append({
      type: 'user_created',
      actorUserId: row.id,
      subject: row.id,
      ip,
      data: { provider: provider.id, role: row.role, teams: mapped.teams ?? [], jit: true },
    });
    return row;
  }
  if (mapped.role !== undefined && mapped.role !== user.role) {
    const role = mapped.role;
    // The last enabled admin keeps the role when the mapping would drop it: a sign-in must never
    // leave the system without an admin (the admin API refuses the same with 409 last_admin), and
    // refusing the sign-in would lock out the one person who can repair the mapping. The role is
    // read again in the transaction: a concurrent sign-in or admin change may have moved it.
    const outcome = await deps.db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('users')
        .select('role')
        .where('id', '=', user.id)
        .executeTakeFirst();
      const before = current?.role ?? user.role;
      if (before === role) return { before, after: role, kept: false };
      if (role !== 'admin' && (await isLastEnabledAdmin(trx, user.id)))
        return { before, after: before, kept: true };
      await trx.updateTable('users').set({ role }).where('id', '=', user.id).execute();
      return { before, after: role, kept: false };
    });
    if (outcome.kept) {
      await deps.events.append({
        type: 'user_role_kept',
        actorUserId: user.id,
        subject: user.id,
        ip,
        data: { role: outcome.before, mapped: role, reason: 'last_admin', provider: provider.id },
      });
    } else if (outcome.before !== outcome.after) {
      await deps.events.append({
        type: 'user_role_changed',
        actorUserId: user.id,
        subject: user.id,
        ip,
        data: { before: outcome.before, after: outcome.after, provider: provider.id },
      });
    }
    user = { ...user, role: outcome.after };
  }
  if (mapped.teams !== undefined) {
    const teams = mapped.teams;
    const before = (await db.selectFrom('user_teams').select('team').where('user_id', '=', user.id).execute())
      .map((r) => r.team)
      .sort();
    if (before.join('\u0000') !== teams.join('\u0000')) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('user_teams').where('user_id', '=', user.id).execute();
        if (teams.length > 0) {
          await trx
            .insertInto('user_teams')
            .values(teams.map((team) => ({ user_id: user.id, team })))
            .execute();
        }
      });
      await deps.events.append({
        type: 'user_teams_changed',
        actorUserId: user.id,
        subject: user.id,
        ip,
        data: { before, after: teams, provider: provider.id },
      });
    }
  }
  return user;
}
