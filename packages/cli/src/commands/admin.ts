/**
 * `bulwark admin`: administration run on the server itself, with direct access to its database,
 * for what the admin API cannot do because no admin can sign in:
 * - `bulwark admin passkeys reset --username <name>`: the recovery for lost passkeys; it removes
 *   the account's passkeys and ends its sessions (docs/identity.md#passkeys);
 * - `bulwark admin password reset --username <name>`: the recovery for a lost password; it sets a
 *   one-time password (printed once) that must be changed at the next sign-in and ends the
 *   account's sessions (docs/operations.md, "Lost passwords").
 */
import type { OpenDatabase, SecurityEventLog } from '@bulwark/server';
import type { Command } from 'commander';
import { type DatabaseFlags, withServerDatabase } from './server-database.js';

interface ResetFlags extends DatabaseFlags {
  username: string;
}

/** Runs `work` with the database and its event log, whose appends are written before it closes. */
async function withEvents(
  name: string,
  flags: ResetFlags,
  work: (database: OpenDatabase, events: SecurityEventLog) => Promise<void>,
): Promise<void> {
  await withServerDatabase(name, flags, async (database) => {
    const server = await import('@bulwark/server');
    const events = new server.SecurityEventLog(database.db, database.dialect, () => new Date());
    await work(database, events);
    await events.flush();
  });
}

/** The options every `admin` sub-command takes. */
function accountCommand(parent: Command, name: string, description: string, whose: string): Command {
  return parent
    .command(name)
    .description(description)
    .requiredOption('-u, --username <name>', whose)
    .option('-d, --data-dir <path>', 'folder of the embedded database', '.bulwark')
    .option('--database-url <url>', 'PostgreSQL database instead (default $BULWARK_DATABASE_URL)');
}

/** Registers `admin` and its sub-commands on the program. */
export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('Server-side administration (needs access to the database).');
  const passkeys = admin.command('passkeys').description('Passkeys of accounts.');
  accountCommand(
    passkeys,
    'reset',
    "Recovery for lost passkeys: remove the account's passkeys and end its sessions; it then signs in with its password alone.",
    'the account whose passkeys are lost',
  ).action(async (flags: ResetFlags) => {
    const name = 'bulwark admin passkeys reset';
    await withEvents(name, flags, async (database, events) => {
      const { resetPasskeys } = await import('@bulwark/server');
      const reset = await resetPasskeys(database.db, events, flags.username, () => new Date());
      if (reset === undefined) {
        process.stderr.write(`${name}: no account named ${flags.username}.\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        `${reset.username}: ${reset.passkeysRemoved} passkey(s) removed, ${reset.sessionsEnded} session(s) ended.\n` +
          'The account now signs in with its password alone; it should register a new passkey at once.\n',
      );
      process.exitCode = 0;
    });
  });
  const password = admin.command('password').description('Passwords of accounts.');
  accountCommand(
    password,
    'reset',
    'Recovery for a lost password: set a one-time password (printed once) that must be changed at the next sign-in, and end the account\u2019s sessions.',
    'the account whose password is lost',
  ).action(async (flags: ResetFlags) => {
    const name = 'bulwark admin password reset';
    await withEvents(name, flags, async (database, events) => {
      const { resetPasswordOnServer } = await import('@bulwark/server');
      const reset = await resetPasswordOnServer(database.db, events, flags.username, () => new Date());
      if (reset === undefined) {
        process.stderr.write(`${name}: no account named ${flags.username}.\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        `${reset.username}: password replaced, ${reset.sessionsEnded} session(s) ended.\n` +
          `One-time password, shown only now: ${reset.oneTimePassword}\n` +
          'Sign in with it and choose a new password at once; passkeys of the account are kept.\n',
      );
      process.exitCode = 0;
    });
  });
}
