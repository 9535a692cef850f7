/**
 * `bulwark admin`: administration run on the server itself, with direct access to its database.
 * `bulwark admin passkeys reset --username <name>` is the recovery for lost passkeys: it removes
 * the account's passkeys and ends its sessions (docs/identity.md#passkeys, docs/operations.md).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OpenDatabase } from '@bulwark/server';
import type { Command } from 'commander';

interface ResetFlags {
  username: string;
  dataDir: string;
  databaseUrl?: string;
}

/** Registers `admin` and its sub-commands on the program. */
export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('Server-side administration (needs access to the database).');
  const passkeys = admin.command('passkeys').description('Passkeys of accounts.');
  passkeys
    .command('reset')
    .description(
      "Recovery for lost passkeys: remove the account's passkeys and end its sessions; it then signs in with its password alone.",
    )
    .requiredOption('-u, --username <name>', 'the account whose passkeys are lost')
    .option('-d, --data-dir <path>', 'folder of the embedded database', '.bulwark')
    .option('--database-url <url>', 'PostgreSQL database instead (default $BULWARK_DATABASE_URL)')
    .action(async (flags: ResetFlags) => {
      const databaseUrl = flags.databaseUrl ?? process.env.BULWARK_DATABASE_URL;
      const dataDir = resolve(flags.dataDir);
      // Loaded here, not at the top, so other commands start without loading the server.
      const { SecurityEventLog, openDatabase, resetPasskeys, SQLITE_FILE } = await import('@bulwark/server');
      if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
        process.stderr.write('bulwark admin passkeys reset: --database-url must be a postgres:// URL.\n');
        process.exitCode = 2;
        return;
      }
      if (databaseUrl === undefined && !existsSync(join(dataDir, SQLITE_FILE))) {
        process.stderr.write(`bulwark admin passkeys reset: no Bulwark database in ${dataDir}.\n`);
        process.exitCode = 2;
        return;
      }
      let database: OpenDatabase;
      try {
        database = await openDatabase(databaseUrl === undefined ? { dataDir } : { databaseUrl });
      } catch (err) {
        process.stderr.write(
          `bulwark admin passkeys reset: cannot open the database: ${(err as Error).message}\n`,
        );
        process.exitCode = 2;
        return;
      }
      try {
        const now = () => new Date();
        const events = new SecurityEventLog(database.db, database.dialect, now);
        const reset = await resetPasskeys(database.db, events, flags.username, now);
        await events.flush();
        if (reset === undefined) {
          process.stderr.write(`bulwark admin passkeys reset: no account named ${flags.username}.\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(
          `${reset.username}: ${reset.passkeysRemoved} passkey(s) removed, ${reset.sessionsEnded} session(s) ended.\n` +
            'The account now signs in with its password alone; it should register a new passkey at once.\n',
        );
        process.exitCode = 0;
      } finally {
        await database.close();
      }
    });
}
