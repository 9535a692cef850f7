/**
 * The rule that the system never loses its last enabled admin, shared by every path that can
 * take the role or the account away: the admin API (demote, disable) and a federated sign-in
 * whose role mapping drops `admin` (docs/identity.md#federated-sign-in).
 */
import type { Kysely } from 'kysely';
import { dialectOf } from '../context.js';
import type { Database } from '../db/schema.js';

/**
 * Whether `userId` is an enabled admin and no other enabled admin exists. Call it inside the
 * transaction that would demote or disable the account: the enabled admins are read under row
 * locks (PostgreSQL; SQLite has one writer), so of two such transactions at once the second sees
 * the first one's outcome instead of both seeing the other admin and leaving none.
 *
 * @example
 * ```ts
 * await db.transaction().execute(async (trx) => {
 *   if (await isLastEnabledAdmin(trx, userId)) throw new HttpProblem(409, 'last_admin', '…');
 *   await trx.updateTable('users').set({ role: 'user' }).where('id', '=', userId).execute();
 * });
 * ```
 */
export async function isLastEnabledAdmin(trx: Kysely<Database>, userId: string): Promise<boolean> {
  let admins = trx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null);
  if (dialectOf(trx) === 'postgres') admins = admins.forUpdate();
  const others = (await admins.execute()).filter((r) => r.id !== userId);
  if (others.length > 0) return false;
  const target = await trx
    .selectFrom('users')
    .select(['role', 'disabled_at'])
    .where('id', '=', userId)
    .executeTakeFirst();
  return target?.role === 'admin' && target.disabled_at === null;
}
