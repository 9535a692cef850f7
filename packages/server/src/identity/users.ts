/**
 * Local accounts: creation with the password rules, lookup by login name, and the first-start
 * admin. Login names are compared after NFKC normalisation and lower-casing.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, Role, UsersTable } from '../db/schema.js';
import { HttpProblem } from '../http/problem.js';
import { hasForbiddenUsernameCharacter } from '../lib/text.js';
import type { PasswordHasher } from './passwords/hasher.js';
import { checkPasswordRules, type PasswordRuleOptions } from './passwords/rules.js';

/** The unique key of a login name (NFKC, lower case, trimmed). */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/** A user row. */
export type UserRow = UsersTable;

/** Fields of a new account. */
export interface NewUser {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
  readonly mustChangePassword?: boolean;
  /** Teams to put the account in (already validated), stored with it in one transaction. */
  readonly teams?: readonly string[];
}

/** Dependencies of the account functions. */
export interface UserStoreDeps {
  readonly db: Kysely<Database>;
  readonly passwords: PasswordHasher;
  readonly rules: PasswordRuleOptions;
  readonly now: () => Date;
}

/**
 * Creates an account after checking the password rules; 400 `password_rejected` with the
 * reasons, 409 `user_exists` when the name is taken.
 *
 * @example
 * ```ts
 * const user = await createUser(deps, { username: 'alice', password: 'a long passphrase', role: 'user' });
 * ```
 */
export async function createUser(deps: UserStoreDeps, input: NewUser): Promise<UserRow> {
  const key = usernameKey(input.username);
  const username = input.username.trim();
  // Both the name as given and its key (NFKC can lengthen or shorten it) fit the 200-character
  // columns; the route schemas check only the first, and callers in-process neither.
  if (
    key.length === 0 ||
    key.length > 200 ||
    [...username].length > 200 ||
    hasForbiddenUsernameCharacter(input.username)
  ) {
    throw new HttpProblem(
      400,
      'invalid_username',
      'A username is 1 to 200 printable characters, with no control or invisible formatting character.',
    );
  }
  const issues = checkPasswordRules(input.password, input.username, deps.rules);
  if (issues.length > 0) {
    throw new HttpProblem(400, 'password_rejected', 'The password does not meet the rules.', { issues });
  }
  const existing = await deps.db
    .selectFrom('users')
    .select('id')
    .where('username_key', '=', key)
    .executeTakeFirst();
  if (existing !== undefined) throw new HttpProblem(409, 'user_exists', 'That username is taken.');
  const now = deps.now().getTime();
  const row: UserRow = {
    id: randomUUID(),
    username,
    username_key: key,
    password_hash: await deps.passwords.hash(input.password),
    role: input.role,
    must_change_password: input.mustChangePassword === true ? 1 : 0,
    disabled_at: null,
    created_at: now,
    password_changed_at: now,
  };
  try {
    await deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values(row).execute();
      const teams = [...new Set(input.teams ?? [])];
      if (teams.length > 0) {
        await trx
          .insertInto('user_teams')
          .values(teams.map((team) => ({ user_id: row.id, team })))
          .execute();
      }
    });
  } catch (cause) {
    // A concurrent creation of the same name lost the unique-index race.
    const again = await deps.db
      .selectFrom('users')
      .select('id')
      .where('username_key', '=', key)
      .executeTakeFirst();
    if (again !== undefined) throw new HttpProblem(409, 'user_exists', 'That username is taken.', { cause });
    throw cause;
  }
  return row;
}

/** The account with login name `username`, if any. */
export async function findUserByUsername(
  db: Kysely<Database>,
  username: string,
): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('username_key', '=', usernameKey(username))
    .executeTakeFirst();
}
