/**
 * First start: when the database has no account yet, create an admin with a random one-time
 * password. The password is returned once (for `bulwark serve` to print) and never stored in
 * clear; the account must change it before it can do anything else. And the recovery of a lost
 * password run on the server itself (`bulwark admin password reset`), for the admin who has no
 * other admin to reset it through the API.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ARGON2_MINIMUM } from '../config.js';
import type { Database } from '../db/schema.js';
import type { SecurityEventLog } from '../events/log.js';
import { PasswordHasher } from './passwords/hasher.js';
import { createUser, findUserByUsername, type UserStoreDeps } from './users.js';

/** The admin created on first start and its one-time password. */
export interface InitialAdmin {
  readonly username: string;
  readonly password: string;
}

/**
 * A random one-time password: 18 random bytes (144 bits) as 24 base64url characters, never a
 * common password and never too short for the password rules. Shown once; stored only hashed.
 *
 * @example
 * ```ts
 * const password = oneTimePassword(); // 'q3J…' (24 characters)
 * ```
 */
export function oneTimePassword(random: (n: number) => Uint8Array = (n) => randomBytes(n)): string {
  return Buffer.from(random(18)).toString('base64url');
}

/**
 * Creates the first admin when there is no user at all; undefined when accounts exist.
 *
 * @example
 * ```ts
 * const admin = await ensureInitialAdmin(deps, events, 'admin');
 * if (admin) console.log(`admin password: ${admin.password}`);
 * ```
 */
export async function ensureInitialAdmin(
  deps: UserStoreDeps,
  events: SecurityEventLog,
  username: string,
  random: (n: number) => Uint8Array = (n) => randomBytes(n),
): Promise<InitialAdmin | undefined> {
  const any = await deps.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any !== undefined) return undefined;
  const password = oneTimePassword(random);
  try {
    const user = await createUser(deps, { username, password, role: 'admin', mustChangePassword: true });
    await events.append({ type: 'admin_created', subject: user.id, data: { username, firstStart: true } });
  } catch (err) {
    // Another node created it first.
    if (err instanceof Error && 'code' in err && err.code === 'user_exists') return undefined;
    throw err;
  }
  return { username, password };
}

/** What {@link resetPasswordOnServer} did; the one-time password is shown once and never stored. */
export interface ServerPasswordReset {
  readonly userId: string;
  readonly username: string;
  readonly oneTimePassword: string;
  readonly sessionsEnded: number;
}

/**
 * Recovery of a lost password run on the server (`bulwark admin password reset`), as the admin
 * API's reset does it for another account: a new one-time password (returned once) that must be
 * changed at the next sign-in, every session of the account ended, in one transaction, and a
 * `password_reset` event (`by: "server_command"`). Passkeys are kept: an account that lost them
 * too is reset with `bulwark admin passkeys reset` as well. Undefined when there is no such account.
 *
 * @example
 * ```ts
 * const reset = await resetPasswordOnServer(db, events, 'admin', () => new Date());
 * if (reset) console.log(`one-time password: ${reset.oneTimePassword}`);
 * ```
 */
export async function resetPasswordOnServer(
  db: Kysely<Database>,
  events: SecurityEventLog,
  username: string,
  now: () => Date,
  // The parameters are in the hash: the server verifies it whatever its own configuration.
  hasher: PasswordHasher = new PasswordHasher(ARGON2_MINIMUM, 1, 1),
): Promise<ServerPasswordReset | undefined> {
  const user = await findUserByUsername(db, username);
  if (user === undefined) return undefined;
  const password = oneTimePassword();
  const hash = await hasher.hash(password);
  const nowMs = now().getTime();
  const sessionsEnded = await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ password_hash: hash, must_change_password: 1, password_changed_at: nowMs })
      .where('id', '=', user.id)
      .execute();
    const ended = await trx
      .updateTable('sessions')
      .set({ revoked_at: nowMs, revoked_reason: 'password_reset' })
      .where('user_id', '=', user.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(ended.numUpdatedRows);
  });
  await events.append({
    type: 'password_reset',
    subject: user.id,
    data: { username: user.username, sessionsEnded, by: 'server_command' },
  });
  return { userId: user.id, username: user.username, oneTimePassword: password, sessionsEnded };
}
