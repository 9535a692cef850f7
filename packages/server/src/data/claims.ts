/** The caller's claims for rules: identity from the access check, teams from the database. */
import type { ServerContext } from '../context.js';
import type { AuthInfo } from '../http/authenticate.js';
import type { Claims } from '../rules/rule.js';

/**
 * Reads the caller's claims (read on every request, so a team change applies at once).
 *
 * @example
 * ```ts
 * const claims = await claimsOf(ctx, authOf(request));
 * ```
 */
export async function claimsOf(ctx: ServerContext, auth: AuthInfo): Promise<Claims> {
  const rows = await ctx.db
    .selectFrom('user_teams')
    .select('team')
    .where('user_id', '=', auth.userId)
    .orderBy('team')
    .execute();
  return { userId: auth.userId, username: auth.username, role: auth.role, teams: rows.map((r) => r.team) };
}
