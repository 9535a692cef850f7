/**
 * First start: when the database has no account yet, create an admin with a random one-time
 * password. The password is returned once (for `bulwark serve` to print) and never stored in
 * clear; the account must change it before it can do anything else.
 */
import { randomBytes } from 'node:crypto';
import type { SecurityEventLog } from '../events/log.js';
import { createUser, type UserStoreDeps } from './users.js';

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
